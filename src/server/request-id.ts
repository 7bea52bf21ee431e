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

/**
 * Every request gets a fresh id of ours (a UUID), echoed in the x-request-id response header and
 * carried by everything logged and audited while serving it. A client's x-request-id never becomes
 * it: otherwise a caller could choose the id of their audit rows (e.g. one naming another request,
 * or another user's). A sane client id is kept beside it (`clientRequestId`) to correlate with the
 * client's own logs.
 *
 * The id travels explicitly (`res.locals.requestId`, then the GraphQL context and the caller), and every
 * line logged about a request names it. Not through AsyncLocalStorage: on Node 20 its promise hooks run
 * on every promise of the process, and cost 4 to 17% of a mint's CPU (docs/performance.md).
 */
export const requestId: Middleware = (req, res, next) => {
  const id = randomUUID();
  res.locals.requestId = id;
  res.locals.clientRequestId = acceptClientRequestId(req.headers["x-request-id"]);
  res.setHeader("x-request-id", id);
  next();
};
