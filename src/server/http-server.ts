// The HTTP server, with the protections that apply to every route: no ETag or sniffing of token
// responses, the client address only through trusted proxies, and timeouts that cut off slow clients.
// `/graphql` is served without Express (graphql-route.ts); every other path by the Express app.
import express from "express";
import http from "node:http";
import type { AppConfig } from "../config";
import { GRAPHQL_PATH } from "./graphql-route";
import type { Req, Res } from "./middleware";

export interface HttpServer {
  app: express.Express;
  httpServer: http.Server;
  /** Serves `/graphql` with `handler` from now on (until then it is the app's, which answers 404). */
  serveGraphql(handler: (req: Req, res: Res) => void): void;
}

export function createHttpServer(config: AppConfig): HttpServer {
  const app = express();
  app.disable("x-powered-by");
  // Responses carry tokens: no validators derived from their bodies.
  app.set("etag", false);
  // req.ip is the client address only through proxies named by TRUST_PROXY.
  app.set("trust proxy", config.http.trustProxy);
  let graphql: ((req: Req, res: Res) => void) | undefined;
  const { requestTimeoutMs, headersTimeoutMs } = config.http;
  const httpServer = http.createServer(
    {
      // Slow clients (slowloris: headers a byte at a time; or a body trickled in) are answered 408 and
      // cut off, so they cannot hold sockets open. Node checks these every connectionsCheckingInterval
      // ms (30 s by default), which would let a short timeout run far over.
      requestTimeout: requestTimeoutMs,
      // Headers are part of the request; Node refuses a headers timeout longer than the request's.
      headersTimeout: Math.min(headersTimeoutMs, requestTimeoutMs),
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(headersTimeoutMs / 4)),
      // An idle keep-alive socket is closed after this; Node's default, stated so it is a decision.
      // Behind a load balancer that reuses connections, it must exceed the balancer's idle timeout.
      keepAliveTimeout: 5_000,
    },
    (req, res) => {
      // No content sniffing. Tokens, and errors about callers' requests (401, 400, 413, 415): never
      // kept by any cache.
      res.setHeader("x-content-type-options", "nosniff");
      res.setHeader("cache-control", "no-store");
      if (graphql !== undefined && GRAPHQL_PATH.test(req.url ?? "")) graphql(req, res as Res);
      else void app(req, res);
    },
  );
  return { app, httpServer, serveGraphql: (handler) => (graphql = handler) };
}
