// Middleware written against Node's own request and response, so the same functions run in the Express
// app (health, index, the ops port) and on `/graphql`, which is served without Express: Express 5's
// per-request work (its request and response prototypes, its router) cost about 0.1 ms of CPU per
// request on the benchmark machine, a tenth of a mint (docs/performance.md).
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse, type ParsedUrlQuery } from "node:querystring";

/** A request; `body` once a body parser has read it. */
export type Req = IncomingMessage & { body?: unknown };
/** A response with per-request values (Express's `res.locals`, which the `/graphql` route sets too). */
export type Res = ServerResponse & { locals: Record<string, unknown> };
export type Next = (error?: unknown) => void;
export type Middleware = (req: Req, res: Res, next: Next) => void | Promise<void>;
export type ErrorMiddleware = (error: unknown, req: Req, res: Res, next: Next) => void;

/**
 * Runs `steps` in order, each calling `next()` to go on; an error (passed to `next`, thrown or
 * rejected) skips to `onError`. A step that answers without calling `next` ends the chain.
 */
export function chain(steps: Middleware[], onError: ErrorMiddleware) {
  return (req: Req, res: Res): void => {
    let index = 0;
    const fail = (error: unknown) => {
      if (res.headersSent)
        res.destroy(); // too late for an error answer: cut it off, never half-send
      else onError(error, req, res, () => res.end());
    };
    const next: Next = (error) => {
      // As in Express, only a truthy value is an error: libraries call `next(null)` to go on.
      if (error) return fail(error);
      const step = steps[index++];
      if (!step) return;
      try {
        const running = step(req, res, next);
        if (running) running.catch(fail);
      } catch (thrown) {
        fail(thrown);
      }
    };
    next();
  };
}

/** Answers `status` with `body` as JSON of the media type `type` (what Express's `res.json` sends). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  type = "application/json",
): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("content-type", `${type}; charset=utf-8`);
  res.setHeader("content-length", Buffer.byteLength(text));
  res.end(text);
}

/** The path of a request's URL, without its query string. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** The query string of a request's URL, with its `?` ("" when there is none). */
export function searchOf(req: IncomingMessage): string {
  return (req.url ?? "").slice(pathOf(req).length);
}

/** The query string's parameters, parsed as Express 5 does by default (a repeated name gives a list). */
export function queryOf(req: IncomingMessage): ParsedUrlQuery {
  return parse(searchOf(req).slice(1));
}
