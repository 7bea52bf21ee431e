// The bearer token is verified before the request body is read: a bad token is answered 401 without
// parsing anything, and a caller without one may send only a small body (ANONYMOUS_MAX_REQUEST_BYTES),
// so anonymous floods (e.g. thousands of `_entities` representations) cost no JSON or GraphQL parsing.
import accepts from "accepts";
import bodyParser from "body-parser";
import { ANONYMOUS, isKeySourceOutage, type BearerVerifier, type Principal } from "../auth";
import { AppError } from "../errors";
import type { Logger } from "./logger";
import { sendJson, type Middleware } from "./middleware";

export interface AuthenticateDeps {
  verifier: BearerVerifier;
  logger: Logger;
  /** Sent as Retry-After when the issuer's keys cannot be fetched (the key-fetch cooldown). */
  keyOutageRetryAfterSeconds: number;
}

/** Sets `res.locals.principal` (the anonymous one without a token), or answers 401 in GraphQL's shape. */
export function authenticateRequest(deps: AuthenticateDeps): Middleware {
  return async (req, res, next) => {
    try {
      res.locals.principal = await deps.verifier.authenticate(req.headers.authorization);
      next();
    } catch (error) {
      if (!(error instanceof AppError)) return next(error);
      if (isKeySourceOutage(error)) {
        // Not the caller's fault: the issuer's keys could not be fetched, so every token fails closed.
        deps.logger.warn({ requestId: res.locals.requestId, err: error.cause }, "issuer keys unavailable");
        res.setHeader("retry-after", String(deps.keyOutageRetryAfterSeconds));
        res.setHeader("www-authenticate", "Bearer");
      } else {
        res.setHeader("www-authenticate", 'Bearer error="invalid_token"');
      }
      // The media type Apollo Server would answer with: GraphQL-over-HTTP clients read errors from a
      // non-2xx answer only when it is application/graphql-response+json.
      const type = accepts(req).type(["application/graphql-response+json", "application/json"]) as
        string | false;
      const body = { errors: [{ message: error.message, extensions: { code: error.code } }] };
      sendJson(res, 401, body, type || "application/json");
    }
  };
}

/** The principal `authenticateRequest` found for this request. */
export const principalOf = (locals: Record<string, unknown>): Principal =>
  (locals.principal as Principal | undefined) ?? ANONYMOUS;

/** JSON bodies up to `maxRequestBytes`, or `anonymousMaxRequestBytes` for callers without a token. */
export function jsonBody(limits: { maxRequestBytes: number; anonymousMaxRequestBytes: number }): Middleware {
  const signedIn = bodyParser.json({ limit: limits.maxRequestBytes });
  const anonymous = bodyParser.json({ limit: limits.anonymousMaxRequestBytes });
  return (req, res, next) =>
    (principalOf(res.locals).subject === null ? anonymous : signedIn)(req, res, next);
}
