// A clean stop. On drain(): readiness fails at once (load balancers take the replica out) while
// requests are still served for `graceMs`, every response saying `connection: close` so that clients
// open their next connection elsewhere. Then the listener closes, idle connections are closed, a
// request that still arrives on an open connection is refused (503 SERVICE_UNAVAILABLE, never
// started), and in-flight requests get up to `limitMs` to finish. Any still running then are cut off,
// logged one by one, and reported so that the process exits non-zero.
import type http from "node:http";
import { ErrorCode } from "../errors";
import type { Logger } from "./logger";
import { pathOf, sendJson, type Middleware, type Res } from "./middleware";

export interface DrainResult {
  /** Requests still running when the limit ran out, cut off with their connections. */
  cutOff: number;
}

export interface Drain {
  /** First in the middleware chain of every server that is drained. */
  middleware: Middleware;
  draining(): boolean;
  drain(): Promise<DrainResult>;
  /** Ends the grace now (a second SIGINT/SIGTERM): nobody is waiting for readiness to be noticed. */
  skipGrace(): void;
}

export function createDrain(
  servers: http.Server[],
  options: { graceMs: number; limitMs: number; logger: Logger },
): Drain {
  let phase: "serving" | "grace" | "closing" = "serving";
  const inFlight = new Map<Res, { method: string; path: string; startedAt: number }>();
  let idle: (() => void) | undefined;
  let endGrace: (() => void) | undefined;
  let result: Promise<DrainResult> | undefined;

  const middleware: Middleware = (req, res, next) => {
    if (phase !== "serving") res.setHeader("connection", "close");
    if (phase === "closing") {
      res.setHeader("retry-after", "1");
      sendJson(res, 503, {
        errors: [
          {
            message: "This server is shutting down; the request was not started. Retry it.",
            extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds: 1 },
          },
        ],
      });
      return;
    }
    inFlight.set(res, { method: req.method ?? "", path: pathOf(req), startedAt: Date.now() });
    res.once("close", () => {
      inFlight.delete(res);
      if (inFlight.size === 0) idle?.();
    });
    next();
  };

  const run = async (): Promise<DrainResult> => {
    const { logger } = options;
    phase = "grace";
    logger.info({ graceMs: options.graceMs, inFlight: inFlight.size }, "draining: readiness fails now");
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.graceMs);
      endGrace = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    phase = "closing";
    for (const server of servers) {
      server.close();
      server.closeIdleConnections();
    }
    logger.info(
      { limitMs: options.limitMs, inFlight: inFlight.size },
      "draining: finishing in-flight requests",
    );
    if (inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.limitMs);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const cutOff = inFlight.size;
    for (const [res, request] of inFlight) {
      logger.error(
        {
          requestId: res.locals.requestId,
          method: request.method,
          path: request.path,
          ranMs: Date.now() - request.startedAt,
        },
        "drain limit reached: request cut off",
      );
    }
    for (const server of servers) server.closeAllConnections();
    if (cutOff) logger.error({ cutOff, limitMs: options.limitMs }, "drain limit cut off in-flight requests");
    else logger.info("drained: every accepted request finished");
    return { cutOff };
  };

  return {
    middleware,
    draining: () => phase !== "serving",
    drain: () => (result ??= run()),
    skipGrace: () => endGrace?.(),
  };
}
