// The operators' port (OPS_PORT): /metrics, /readyz/detail, /healthz, /readyz and any admin routes
// the composition root adds, on a listener of its own so that none of it is served on the public port.
import express, { type Router } from "express";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface OpsServer {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

export async function startOpsServer(
  routes: Router[],
  options: { host: string; port: number },
): Promise<OpsServer> {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  for (const router of routes) app.use(router);
  const server = http.createServer({ keepAliveTimeout: 5_000 }, app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
