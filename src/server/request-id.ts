import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { Middleware } from "./middleware";

// A client's own id is kept only when it is short and plain: it is written to log lines and to the
// audit table, so a longer or richer value could forge log lines (newlines, control characters),
// bloat every line, or smuggle text into the audit trail.
const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** The client's x-request-id when it is sane, else null. Never used as the request's own id. */
export function acceptClientRequestId(incoming: string | string[] | undefined): string | null {
  return typeof incoming === "string" && SAFE_ID.test(incoming) ? incoming : null;
}

const requestContext = new AsyncLocalStorage<{ requestId: string }>();

/**
 * The id of the HTTP request whose handling is running now (undefined outside a request). Work that a
 * request starts and that outlives it (a pooled connection opened during it, a timer) still sees it.
 */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

/**
 * Every request gets a fresh id of ours (a UUID), echoed in the x-request-id response header and
 * carried by everything logged and audited while serving it. A client's x-request-id never becomes
 * it: otherwise a caller could choose the id of their audit rows (e.g. one naming another request,
 * or another user's). A sane client id is kept beside it (`clientRequestId`) to correlate with the
 * client's own logs.
 */
export const requestId: Middleware = (req, res, next) => {
  const id = randomUUID();
  res.locals.requestId = id;
  res.locals.clientRequestId = acceptClientRequestId(req.headers["x-request-id"]);
  res.setHeader("x-request-id", id);
  requestContext.run({ requestId: id }, next);
};
