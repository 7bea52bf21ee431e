// The GraphQL context of one request: the bearer token verified into a principal, the policy applied to
// it, and the caller the identity core sees. A bad token answers 401 here, before any resolver runs.
import type { Request, Response } from "express";
import { GraphQLError } from "graphql";
import { isKeySourceOutage, type BearerVerifier } from "../auth";
import { AppError } from "../errors";
import { effectivePolicy, type Caller, type IdentityService, type Policy } from "../identity";
import type { GraphQLContext } from "../schema/context";
import { createLoaders } from "../schema/loaders";
import type { Logger } from "./logger";

export interface ContextDeps {
  verifier: BearerVerifier;
  policy: Policy;
  identities: IdentityService;
  logger: Logger;
  /** Sent as Retry-After when the issuer's keys cannot be fetched (the key-fetch cooldown). */
  keyOutageRetryAfterSeconds: number;
}

export function createContextFactory(deps: ContextDeps) {
  const { verifier, policy, identities, logger } = deps;
  return async ({ req, res }: { req: Request; res: Response }): Promise<GraphQLContext> => {
    let principal;
    try {
      principal = await verifier.authenticate(req.headers.authorization);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (isKeySourceOutage(error)) {
        // Not the caller's fault: the issuer's keys could not be fetched, so every token fails closed.
        logger.warn({ requestId: res.locals.requestId, err: error.cause }, "issuer keys unavailable");
        res.setHeader("retry-after", String(deps.keyOutageRetryAfterSeconds));
        res.setHeader("www-authenticate", "Bearer");
      } else {
        res.setHeader("www-authenticate", 'Bearer error="invalid_token"');
      }
      throw new GraphQLError(error.message, {
        originalError: error,
        extensions: { code: error.code, http: { status: 401 } },
      });
    }
    const effective = effectivePolicy(policy, principal);
    const caller: Caller = {
      subject: principal.subject,
      objectId: principal.objectId ?? null,
      effective,
      requestId: res.locals.requestId,
      clientRequestId: res.locals.clientRequestId ?? null,
      clientAddress: req.ip ?? null,
    };
    return {
      requestId: res.locals.requestId,
      principal,
      effective,
      caller,
      identities,
      loaders: createLoaders(identities, caller),
    };
  };
}
