// The GraphQL context of one request: the principal (verified before the body was read, by
// authenticate.ts), the policy applied to it, and the caller the identity core sees.
import { effectivePolicy, type Caller, type IdentityService, type Policy } from "../identity";
import type { GraphQLContext } from "../schema/context";
import { createLoaders } from "../schema/loaders";
import { principalOf } from "./authenticate";
import type { Req, Res } from "./middleware";

export interface ContextDeps {
  policy: Policy;
  identities: IdentityService;
  /** The client's address, through trusted proxies only. */
  clientAddress: (req: Req) => string | undefined;
}

export function createContextFactory(deps: ContextDeps) {
  const { policy, identities, clientAddress } = deps;
  return async (req: Req, res: Res): Promise<GraphQLContext> => {
    const principal = principalOf(res.locals);
    const effective = effectivePolicy(policy, principal);
    const caller: Caller = {
      subject: principal.subject,
      objectId: principal.objectId ?? null,
      effective,
      requestId: res.locals.requestId as string,
      clientRequestId: (res.locals.clientRequestId as string | null | undefined) ?? null,
      clientAddress: clientAddress(req) ?? null,
    };
    return {
      requestId: res.locals.requestId as string,
      principal,
      effective,
      caller,
      identities,
      loaders: createLoaders(identities, caller),
    };
  };
}
