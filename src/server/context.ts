// The GraphQL context of one request: the principal (verified before the body was read, by
// authenticate.ts), the policy applied to it, and the caller the identity core sees.
import type { Request, Response } from "express";
import { effectivePolicy, type Caller, type IdentityService, type Policy } from "../identity";
import type { GraphQLContext } from "../schema/context";
import { createLoaders } from "../schema/loaders";
import { principalOf } from "./authenticate";

export interface ContextDeps {
  policy: Policy;
  identities: IdentityService;
}

export function createContextFactory(deps: ContextDeps) {
  const { policy, identities } = deps;
  return async ({ req, res }: { req: Request; res: Response }): Promise<GraphQLContext> => {
    const principal = principalOf(res.locals);
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
