// Domain vocabulary shared by every part: ACS scopes, identity records, audit events.

/** The ACS token scopes, as the ACS REST API spells them. */
export const ACS_SCOPES = ["chat", "chat.join", "chat.join.limited", "voip", "voip.join"] as const;
export type AcsScope = (typeof ACS_SCOPES)[number];

/** ACS accepts token lifetimes from 60 to 1440 minutes. */
export const MIN_TOKEN_MINUTES = 60;
export const MAX_TOKEN_MINUTES = 1440;

/**
 * What is rate limited, each on its own: the ACS actions with a quota of their own, and `denial`, the
 * refusals a signed-in caller may cause (each is a write to the audit trail).
 */
export const RATE_BUCKETS = ["mint", "create", "revoke", "delete", "denial"] as const;
export type RateBucket = (typeof RATE_BUCKETS)[number];

/**
 * ACS's default per-resource quotas, per 30 seconds (Microsoft can raise them on request): about 1000
 * token issues and 1000 identity creations, 500 revocations and 500 deletions. `denial` is not an ACS
 * action: its service-wide ceiling bounds the audit writes that refusals cause.
 */
export const ACS_DEFAULT_QUOTA_PER_30S: Readonly<Record<RateBucket, number>> = {
  mint: 1000,
  create: 1000,
  revoke: 500,
  delete: 500,
  denial: 3000,
};

/** One ACS identity as this service knows it (the mapping row). */
export interface IdentityRecord {
  /** The ACS identity id, `8:acs:<resource>_<user>`. */
  id: string;
  /** The subject (user id) this identity belongs to; null for identities created without an owner. */
  owner: string | null;
  /** The subject who created it. */
  createdBy: string;
  createdAt: Date;
  lastTokenIssuedAt: Date | null;
  tokensRevokedAt: Date | null;
  /** Set when a delete was asked for; the ACS delete may still be pending (a retry completes it). */
  deletionRequestedAt: Date | null;
  /** Set once ACS confirmed the delete. */
  deletedAt: Date | null;
}

export type NewIdentity = Pick<IdentityRecord, "id" | "owner" | "createdBy" | "createdAt">;

/**
 * `pending`: ACS was (or is being) asked and the answer is not stored yet; repeating the create is
 * safe (customId). `unknown`: ACS may have made an identity that cannot be found again (no customId):
 * an operator must look.
 */
export type CreationOutcome = "pending" | "unknown";

/** An ACS create in flight, written before ACS is asked (see `CreationLedger`). */
export interface IdentityCreation {
  /** Sent to ACS as the customId (random, so it says nothing about the owner). */
  key: string;
  owner: string | null;
  createdBy: string;
  requestId: string | null;
  operation: string | null;
  requestedAt: Date;
  outcome: CreationOutcome;
  /** The identity ACS made, when known but not stored (it must be deleted). */
  identityId: string | null;
}

/**
 * What was done or attempted. The read actions only ever appear as denials: successful reads are not
 * recorded, refused ones are (they are how an enumeration attempt shows up).
 */
export type AuditAction =
  | "identity.create"
  | "token.issue"
  | "token.revoke"
  | "identity.delete"
  | "token.exchange_teams"
  | "identity.read"
  | "identity.list"
  | "audit.read"
  | "identity.reconcile";

/**
 * `denied`: the policy refused the caller (including an identity hidden from them, which the caller was
 * answered as not found); `failed`: the action was allowed but did not complete.
 */
export type AuditOutcome = "success" | "denied" | "failed";

/** Who the caller was: a token's subject, or no token at all (whose actor reads `anonymous`). */
export type CallerKind = "subject" | "anonymous";

/** What happened, to what, by whom. Never holds a token. */
export interface AuditEvent {
  id: string;
  at: Date;
  actor: string;
  action: AuditAction;
  /** The ACS identity acted on, when known. */
  identityId: string | null;
  scopes: AcsScope[] | null;
  expiresOn: Date | null;
  outcome: AuditOutcome;
  /**
   * The stable error code when outcome is not success. For a denial about an identity hidden from the
   * caller it is the truth, not the caller's answer (always NOT_FOUND): FORBIDDEN when the identity is
   * known here (even if deleted) and is not theirs, NOT_FOUND when no such identity was ever known.
   */
  errorCode: string | null;
  /** Our id of the request (never the client's). */
  requestId: string | null;
  /** The API operation that acted or was refused, as `Type.field` (e.g. `Mutation.issueAccessToken`). */
  operation: string | null;
  /** Whether `actor` is a subject or the anonymous caller; null for events recorded before it was. */
  callerKind: CallerKind | null;
  /** The client's own x-request-id, when it sent a sane one; never our request id. */
  clientRequestId: string | null;
  /**
   * How many identical attempts this event stands for: 1, except for denials, where repeats (same
   * actor, action, identity, code and operation) within the aggregation window are counted here.
   */
  count: number;
}

export type NewAuditEvent = Omit<
  AuditEvent,
  "id" | "at" | "operation" | "callerKind" | "clientRequestId" | "count"
> & {
  at?: Date;
  operation?: string | null;
  callerKind?: CallerKind | null;
  clientRequestId?: string | null;
  count?: number;
};

export interface Page<T> {
  items: T[];
  /** Opaque cursor of the last item, for `after`. */
  endCursor: string | null;
  /** Each item's cursor, in order (Relay edges). */
  cursors: string[];
  hasNextPage: boolean;
}
