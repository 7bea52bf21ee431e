import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";

// A caller's id is taken only when it is short and plain: it is echoed in a header, written to every
// log line and to the audit table, so a longer or richer value could forge log lines (newlines,
// control characters), bloat every line, or smuggle text into the audit trail.
const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** The caller's x-request-id when it is sane, else a fresh UUID. */
export function acceptRequestId(incoming: string | string[] | undefined): string {
  return typeof incoming === "string" && SAFE_ID.test(incoming) ? incoming : randomUUID();
}

const requestContext = new AsyncLocalStorage<{ requestId: string }>();

/**
 * The id of the HTTP request whose handling is running now (undefined outside a request). Work that a
 * request starts and that outlives it (a pooled connection opened during it, a timer) still sees it.
 */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

/** Every request gets an id, echoed in the response and carried by everything logged while serving it. */
export const requestId: RequestHandler = (req, res, next) => {
  const id = acceptRequestId(req.headers["x-request-id"]);
  res.locals.requestId = id;
  res.setHeader("x-request-id", id);
  requestContext.run({ requestId: id }, next);
};
