// The interfaces the identity core depends on. Implementations live in src/acs, src/store and
// src/ratelimit; the core imports none of them.
import type { Caller } from "./caller";
import type {
  AcsScope,
  AuditEvent,
  IdentityRecord,
  NewAuditEvent,
  NewIdentity,
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
  createIdentity(): Promise<{ id: string }>;
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
  findByIds(ids: readonly string[]): Promise<Map<string, IdentityRecord>>;
  list(query: ListIdentitiesQuery): Promise<Page<IdentityRecord>>;
  /**
   * Get-or-create the owner's identity, exactly once across processes sharing the database:
   * under an exclusive per-owner lock, returns the active identity if one exists, otherwise calls
   * `create` (which creates the ACS identity) and stores its result before releasing the lock.
   * If storing fails, `create`'s identity is handed to `discard` so no orphan is left.
   */
  getOrCreateForOwner(
    owner: string,
    create: () => Promise<NewIdentity>,
    discard: (id: string) => Promise<void>,
  ): Promise<{ record: IdentityRecord; created: boolean }>;
  /** Store a newly created identity that has no owner (or whose owner slot is free). */
  insert(identity: NewIdentity): Promise<IdentityRecord>;
  markTokensRevoked(id: string, at: Date): Promise<void>;
  markDeletionRequested(id: string, at: Date): Promise<IdentityRecord>;
  markDeleted(id: string, at: Date): Promise<IdentityRecord>;
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
