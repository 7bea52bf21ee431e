import type { CallerKind } from "./model";
import type { EffectivePolicy } from "./policy";

/** Who is asking, and what their policy lets them do. Built by the server from the bearer token. */
export interface Caller {
  /** The authenticated subject, or null for an anonymous caller. */
  subject: string | null;
  effective: EffectivePolicy;
  /**
   * The caller's Entra ID object id, from the bearer token's configured claim (AUTH_OBJECT_ID_CLAIM):
   * the only Teams user whose token this caller may exchange. Null when the token has none.
   */
  objectId?: string | null;
  /** Correlates the audit trail with logs: our own id of the request. */
  requestId: string | null;
  /** The client's own (sane) x-request-id, recorded beside ours; absent when it sent none. */
  clientRequestId?: string | null;
  /** The client's network address (after TRUST_PROXY), for per-address rate limits; null when unknown. */
  clientAddress: string | null;
  /**
   * The API operation being served, as `Type.field`, for the audit trail. Set per field by the schema
   * layer, since one request may run several operations; absent outside GraphQL.
   */
  operation?: string | null;
}

export const actorOf = (caller: Caller) => caller.subject ?? "anonymous";

/** Tells a subject that happens to read "anonymous" from the anonymous caller. */
export const callerKindOf = (caller: Caller): CallerKind =>
  caller.subject === null ? "anonymous" : "subject";

/** A create asked for by the caller, named in its `identity.create` event. */
export function creationBy<Owner extends string | null>(caller: Caller, owner: Owner) {
  return {
    owner,
    createdBy: actorOf(caller),
    requestId: caller.requestId,
    operation: caller.operation ?? null,
  };
}
