// The GraphQL context of one request: the principal (verified before the body was read, by
// authenticate.ts), the policy applied to it, and the caller the identity core sees.
import {
  effectivePolicy,
  type Caller,
  type EffectivePolicy,
  type IdentityService,
  type Policy,
} from "../identity";
import type { GraphQLContext } from "../schema/context";
import { createLoaders } from "../schema/loaders";
import type { Principal } from "../auth";
import { principalOf } from "./authenticate";
import type { Req, Res } from "./middleware";

const MAX_ROLE_SETS = 256;

export interface ContextDeps {
  policy: Policy;
  identities: IdentityService;
  /** The client's address, through trusted proxies only. */
  clientAddress: (req: Req) => string | undefined;
}

export function createContextFactory(deps: ContextDeps) {
  const { policy, identities, clientAddress } = deps;
  // What a set of roles may do depends on nothing else (the policy is fixed for the process), and few
  // sets of roles are in use: each is worked out once. Bounded: roles come from bearer tokens.
  const byRoles = new Map<string, EffectivePolicy>();
  const effectiveFor = (principal: Principal): EffectivePolicy => {
    // JSON keeps role names apart whatever they hold: joined with ",", the one role "a,b" and the two
    // roles "a" and "b" would share a key, and so a policy.
    const key = principal.subject === null ? "" : JSON.stringify(principal.roles);
    let effective = byRoles.get(key);
    if (effective === undefined) {
      effective = effectivePolicy(policy, principal);
      if (byRoles.size >= MAX_ROLE_SETS) byRoles.clear();
      byRoles.set(key, effective);
    }
    return effective;
  };
  return async (req: Req, res: Res): Promise<GraphQLContext> => {
    const principal = principalOf(res.locals);
    const effective = effectiveFor(principal);
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
