// The interfaces the identity core depends on. Implementations live in src/acs, src/store and
// src/ratelimit; the core imports none of them.
import type { Caller } from "./caller";
import type {
  AcsScope,
  AuditEvent,
  CreationOutcome,
  IdentityCreation,
  IdentityRecord,
  NewAuditEvent,
  Page,
  RateBucket,
} from "./model";

export interface IssuedToken {
  token: string;
  expiresOn: Date;
}

export interface TeamsTokenRequest {
  /** The Teams user's Entra ID access token: a secret, never stored or logged. */
  teamsToken: string;
  /** The Entra ID application (client) id the Teams token was issued to. */
  clientId: string;
  /** The Teams user's Entra ID object id (the token's `oid`). */
  userObjectId: string;
}

/** The ACS Identity data plane. Errors are AppErrors (ACS_THROTTLED, ACS_UNAVAILABLE, NOT_FOUND, ...). */
export interface AcsIdentityBackend {
  /**
   * Creates an identity. With a `customId` the create is repeat-safe: ACS answers a repeat with the
   * same identity, so the adapter may retry it. Without one it is never retried (each try may make one).
   */
  createIdentity(customId?: string): Promise<{ id: string }>;
  issueToken(id: string, scopes: AcsScope[], expiresInMinutes: number): Promise<IssuedToken>;
  revokeTokens(id: string): Promise<void>;
  /** Deleting an identity that ACS no longer has succeeds (so a retried delete completes). */
  deleteIdentity(id: string): Promise<void>;
  /**
   * Exchanges a Microsoft Teams user's Entra ID token for an ACS token. The Teams token must have been
   * issued to `clientId` for the user `userObjectId`; ACS checks both (BAD_USER_INPUT otherwise).
   */
  exchangeTeamsToken(request: TeamsTokenRequest): Promise<IssuedToken>;
  /** Readiness: can ACS be reached and does it accept our credential? */
  ping(): Promise<void>;
}

export interface ListIdentitiesQuery {
  first: number;
  after?: string | null;
  owner?: string | null;
}

/**
 * The identity mappings. A record's `lastTokenIssuedAt` is derived from the audit log (the latest
 * successful `token.issue` event of the identity), so minting writes nothing here.
 */
export interface IdentityStore {
  findById(id: string): Promise<IdentityRecord | undefined>;
  /** The owner's identity that is not deleted (at most one exists). */
  findActiveByOwner(owner: string): Promise<IdentityRecord | undefined>;
  /** Batch form of findActiveByOwner, for federation reference resolution: one query. */
  findActiveByOwners(owners: readonly string[]): Promise<Map<string, IdentityRecord>>;
  /**
   * With `owner`, only that owner's identities, filtered in the query: an id that exists but is not
   * theirs costs the same as one that does not exist.
   */
  findByIds(ids: readonly string[], owner?: string): Promise<Map<string, IdentityRecord>>;
  list(query: ListIdentitiesQuery): Promise<Page<IdentityRecord>>;
  markTokensRevoked(id: string, at: Date): Promise<void>;
  markDeletionRequested(id: string, at: Date): Promise<IdentityRecord>;
  markDeleted(id: string, at: Date): Promise<IdentityRecord>;
  /** Identities whose delete was requested before `before` and has not completed, oldest first. */
  pendingDeletes(before: Date, limit: number): Promise<IdentityRecord[]>;
}

/** Who asks for a creation; its `identity.create` audit event is made from this. */
export type NewCreation = Pick<IdentityCreation, "owner" | "createdBy" | "requestId" | "operation">;

/** A claim on a creation: `held` when this caller holds its lease (no one else is working on it). */
export interface CreationClaim {
  creation: IdentityCreation;
  held: boolean;
}

/**
 * The ledger of ACS creates in flight: each is written before ACS is asked and closed in the same
 * transaction that stores its identity, so a create whose answer was lost is never forgotten. At most
 * one is open per owner; a lease says who is working on it. No method holds a connection across calls.
 */
export interface CreationLedger {
  /**
   * The owner's open creation, or a new one (always new without an owner). A creation whose lease ran
   * out is taken over when `resumeStale` (its create is repeat-safe); otherwise it is marked `unknown`
   * and a new one is opened.
   */
  claim(
    request: NewCreation,
    options: { now: Date; leaseMs: number; resumeStale: boolean },
  ): Promise<CreationClaim>;
  /**
   * Stores the identity ACS made for the creation, its `identity.create` audit event and closes the
   * creation, in one transaction. `created: false` when the identity was already stored (a repeat).
   * When the owner has another active identity, nothing is stored and `taken` holds that identity.
   */
  complete(
    creation: IdentityCreation,
    id: string,
    at: Date,
  ): Promise<{ record: IdentityRecord; created: boolean } | { taken: IdentityRecord }>;
  /**
   * ACS did not create it (a definite refusal), the identity it made is deleted again, or it was never
   * sent to ACS (not needed after all): forget it.
   */
  abandon(key: string): Promise<void>;
  /**
   * The create's outcome is not known (or its identity could not be stored): release the lease so a
   * repeat or the reconciler finishes it. `unknown` when it cannot be repeated safely; `identityId`
   * when ACS's identity is known but must still be deleted.
   */
  release(key: string, change: { outcome?: CreationOutcome; identityId?: string }): Promise<void>;
  /** Open creations whose lease ran out before `now`, leased to the caller (the reconciler). */
  claimStale(options: { now: Date; leaseMs: number; limit: number }): Promise<IdentityCreation[]>;
  /** Open creations (pending and unknown), oldest first. */
  list(limit: number): Promise<IdentityCreation[]>;
  /** How many creations have an unknown outcome (for metrics). */
  countUnknown(): Promise<number>;
}

/** An issued ACS token kept for reuse. */
export interface CachedToken {
  token: string;
  expiresOn: Date;
  /** When we asked ACS for it: a revoke at or after this time invalidates it. */
  requestedAt: Date;
}

/**
 * Issued tokens kept for reuse (optional, TOKEN_REUSE). They are secrets: implementations encrypt them
 * at rest and never log them. Keyed by identity and a `slot` (the scopes and lifetime asked for).
 */
export interface TokenCache {
  get(identityId: string, slot: string): Promise<CachedToken | undefined>;
  /** Keeps the token unless the identity was invalidated at or after its `requestedAt`. */
  put(identityId: string, slot: string, token: CachedToken): Promise<void>;
  /**
   * Drops every kept token of the identity (on every replica sharing the cache) and refuses, from now
   * on, any token requested at or before `at`.
   */
  invalidate(identityId: string, at: Date): Promise<void>;
}

export interface ListAuditQuery {
  first: number;
  after?: string | null;
  identityId?: string | null;
  actor?: string | null;
}

export interface AuditLog {
  /** Durable before it resolves. */
  record(event: NewAuditEvent): Promise<AuditEvent>;
  /** Adds `by` to an event's count (repeats of an aggregated denial). */
  addToCount(id: string, by: number): Promise<void>;
  list(query: ListAuditQuery): Promise<Page<AuditEvent>>;
}

/**
 * Which limits a `consume` takes from: all of them (the default); only the caller's own (per principal
 * and per address: fairness), or only the service-wide budget (ACS's quota). A reused token takes the
 * caller's but not the service's: it spends nothing of ACS's quota.
 */
export type LimitScope = "all" | "caller" | "service";

/**
 * Quotas on the actions that spend ACS budget: per caller, per client address and service-wide.
 * `consume` throws AppError RATE_LIMITED (with retryAfterSeconds) when any is exhausted.
 */
export interface RateLimiter {
  /** Takes one of each bucket, all or nothing: a refusal gives back what was taken. */
  consume(buckets: RateBucket | readonly RateBucket[], caller: Caller, limits?: LimitScope): Promise<void>;
}
