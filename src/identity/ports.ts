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

/** The ACS Identity data plane. Errors are AppErrors (ACS_THROTTLED, ACS_UNAVAILABLE, NOT_FOUND, ...). */
export interface AcsIdentityBackend {
  createIdentity(): Promise<{ id: string }>;
  issueToken(id: string, scopes: AcsScope[], expiresInMinutes: number): Promise<IssuedToken>;
  revokeTokens(id: string): Promise<void>;
  /** Deleting an identity that ACS no longer has succeeds (so a retried delete completes). */
  deleteIdentity(id: string): Promise<void>;
  /** Readiness: can ACS be reached and does it accept our credential? */
  ping(): Promise<void>;
}

export interface ListIdentitiesQuery {
  first: number;
  after?: string | null;
  owner?: string | null;
}

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
  markTokenIssued(id: string, at: Date): Promise<void>;
  markTokensRevoked(id: string, at: Date): Promise<void>;
  markDeletionRequested(id: string, at: Date): Promise<IdentityRecord>;
  markDeleted(id: string, at: Date): Promise<IdentityRecord>;
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
 * Quotas on the actions that spend ACS budget: per caller, per client address and service-wide.
 * `consume` throws AppError RATE_LIMITED (with retryAfterSeconds) when any is exhausted.
 */
export interface RateLimiter {
  /** Takes one of each bucket, all or nothing: a refusal gives back what was taken. */
  consume(buckets: RateBucket | readonly RateBucket[], caller: Caller): Promise<void>;
}
