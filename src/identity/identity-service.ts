// The use cases of the domain core, each a short story: check the request and the caller's rights,
// spend quota, act through ACS and the store, and leave a record in the audit trail. The collaborators
// each have one job: access (who may), AuditTrail (what is recorded), IdentityProvisioner (ACS and the
// store in step), Reconciler (finishing what failures left half done), validation (well-formed input)
// and the ports (ACS, store, creation ledger, audit log, rate limiter).
import { AppError, ErrorCode, notFound } from "../errors";
import { maySee, owns, requirePermission, requireSubject, tokenLifetime, unknownIdentity } from "./access";
import { AuditTrail, type AuditContext, type DeniedAttempt } from "./audit-trail";
import { actorOf, type Caller } from "./caller";
import type { AcsScope, AuditEvent, IdentityCreation, IdentityRecord, Page } from "./model";
import type { Permission } from "./policy";
import type {
  AcsIdentityBackend,
  AuditLog,
  CreationLedger,
  IdentityStore,
  ListAuditQuery,
  ListIdentitiesQuery,
  RateLimiter,
  TeamsTokenRequest,
  TokenCache,
} from "./ports";
import { OwnerCache, type OwnerCacheSettings } from "./owner-cache";
import { IdentityProvisioner, type MintedToken, type ProvisioningOptions } from "./provisioning";
import { Reconciler, type ReconcileReport } from "./reconciler";
import { assertOwnTeamsUser, assertTeamsRequest } from "./teams-exchange";
import { TokenReuse, type TokenReuseSettings } from "./token-reuse";
import {
  assertCursor,
  assertIdentityId,
  assertOwner,
  assertPageSize,
  isIdentityId,
  isSubject,
} from "./validation";

export type { DeniedAttempt } from "./audit-trail";
export type { MintedToken, ProvisioningOptions } from "./provisioning";
export type { ReconcileReport } from "./reconciler";

/** An ACS token for a Teams user: it belongs to their Teams identity, not to an identity of ours. */
export interface TeamsToken {
  token: string;
  expiresOn: Date;
}

export interface IdentityServiceDeps {
  acs: AcsIdentityBackend;
  store: IdentityStore;
  creations: CreationLedger;
  audit: AuditLog;
  limiter: RateLimiter;
  /** Quota-aware token reuse: off when absent. */
  tokenReuse?: { cache: TokenCache; settings: TokenReuseSettings };
  /** Default: creates without customId, a 15 s lease and a 15 s wait for another's create. */
  provisioning?: Partial<ProvisioningOptions>;
  /** The mint path's owner-to-identity cache (see owner-cache.ts); defaults apply when absent. */
  ownerCache?: OwnerCacheSettings;
  now?: () => Date;
  /** Identical denials within this window are one audit event with a count (default 60 s). */
  denialWindowMs?: number;
}

/** What failures left half done, for an operator. */
export interface PendingOperations {
  /** Identities whose delete was requested and has not completed. */
  deletes: IdentityRecord[];
  /** Creates whose answer is not stored yet: `pending` (to be resumed) or `unknown` (an operator's). */
  creations: IdentityCreation[];
}

/**
 * Every action on identities and tokens, with its authorization, quota and audit. It sees only
 * interfaces (ACS, store, audit, rate limiter): no GraphQL, no SQL, no SDK.
 */
export class IdentityService {
  private readonly now: () => Date;
  private readonly store: IdentityStore;
  private readonly acs: AcsIdentityBackend;
  private readonly limiter: RateLimiter;
  private readonly auditLog: AuditLog;
  private readonly trail: AuditTrail;
  private readonly provisioner: IdentityProvisioner;
  private readonly owners: OwnerCache;
  /** Set when token reuse is on; its stats are the hits and misses. */
  readonly tokenReuse: TokenReuse | undefined;
  private readonly creations: CreationLedger;
  /** Finishes what failures left half done; run it at start and periodically (the server does). */
  readonly reconciler: Reconciler;

  constructor(deps: IdentityServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.store = deps.store;
    this.acs = deps.acs;
    this.limiter = deps.limiter;
    this.auditLog = deps.audit;
    this.trail = new AuditTrail(deps.audit, {
      limiter: deps.limiter,
      denialWindowMs: deps.denialWindowMs,
    });
    this.creations = deps.creations;
    const provisioning: ProvisioningOptions = {
      repeatSafe: false,
      leaseMs: 15_000,
      ownerWaitMs: 15_000,
      ...deps.provisioning,
    };
    this.provisioner = new IdentityProvisioner(deps.acs, deps.store, deps.creations, provisioning, this.now);
    this.reconciler = new Reconciler({
      ...deps,
      ledger: deps.creations,
      provisioner: this.provisioner,
      graceMs: provisioning.leaseMs,
      now: this.now,
    });
    this.owners = new OwnerCache(deps.ownerCache);
    this.tokenReuse =
      deps.tokenReuse && new TokenReuse(deps.tokenReuse.cache, deps.tokenReuse.settings, this.now);
  }

  /** The common path: get or create the caller's own identity, then mint a token for it. */
  async issueMyAccessToken(
    caller: Caller,
    scopes: AcsScope[],
    expiresInMinutes?: number | null,
  ): Promise<MintedToken> {
    return this.issueUserAccessToken(caller, requireSubject(caller), scopes, expiresInMinutes);
  }

  /**
   * Mints for a user of the graph, keyed by their id (the identity owner), creating their identity on
   * first use. For yourself it needs mint:self; for anyone else, mint:any and identity:create.
   */
  async issueUserAccessToken(
    caller: Caller,
    userId: string,
    scopes: AcsScope[],
    expiresInMinutes?: number | null,
  ): Promise<MintedToken> {
    return this.trail.audited(caller, { action: "token.issue", scopes }, async (audit) => {
      requireSubject(caller);
      assertOwner(userId, "userId");
      if (userId === caller.subject) {
        requirePermission(caller, ["mint:self", "mint:any"], "Minting a token for yourself");
      } else {
        requirePermission(caller, ["mint:any"], "Minting tokens for another user");
        requirePermission(caller, ["identity:create"], "Creating identities for another user");
      }
      const minutes = tokenLifetime(caller, scopes, expiresInMinutes);
      const {
        record: existing,
        cached,
        keep,
      } = await this.owners.find(userId, (owner) => this.store.findActiveByOwner(owner));
      if (!existing) return this.mintFirst(caller, userId, scopes, minutes, audit, { keep });
      const record = this.provisioner.existing(existing).record;
      audit.identityId = record.id;
      try {
        return await this.mintOrReuse(caller, record, scopes, minutes, audit);
      } catch (error) {
        // ACS no longer knows a cached identity: another replica deleted it. Look again (the mint
        // was charged already) and mint for the owner's identity as the database has it now.
        if (!cached || !(error instanceof AppError) || error.code !== ErrorCode.NOT_FOUND) throw error;
        this.owners.forget(userId);
        const again = await this.owners.find(userId, (owner) => this.store.findActiveByOwner(owner));
        const current = again.record;
        if (current?.id === record.id) {
          this.owners.forget(userId);
          throw error;
        }
        if (!current)
          return this.mintFirst(caller, userId, scopes, minutes, audit, { charged: true, keep: again.keep });
        audit.identityId = current.id;
        const fresh = this.provisioner.existing(current).record;
        return this.mintOrReuse(caller, fresh, scopes, minutes, audit, { charged: true });
      }
    });
  }

  /** A first mint also creates the identity in ACS, which spends the create quota too. */
  private async mintFirst(
    caller: Caller,
    userId: string,
    scopes: AcsScope[],
    minutes: number,
    audit: AuditContext,
    { charged = false, keep }: { charged?: boolean; keep: (record: IdentityRecord) => void },
  ): Promise<MintedToken> {
    await this.limiter.consume(charged ? "create" : ["mint", "create"], caller);
    // A new identity's `identity.create` event is stored with it, by the provisioner.
    const { record } = await this.provisioner.forOwner(creationBy(caller, userId));
    keep(record);
    audit.identityId = record.id;
    return this.mintOrReuse(caller, record, scopes, minutes, audit, { charged: true });
  }

  async createIdentity(caller: Caller, owner?: string | null): Promise<IdentityRecord> {
    return this.trail.audited(caller, { action: "identity.create" }, async (audit) => {
      requirePermission(caller, ["identity:create"], "Creating identities");
      if (owner != null) assertOwner(owner);
      await this.limiter.consume("create", caller);
      const { record, created } = await this.provision(caller, owner ?? null);
      audit.identityId = record.id;
      audit.recorded = created; // the event was stored with the identity
      return record;
    });
  }

  async createIdentityWithToken(
    caller: Caller,
    owner: string | null | undefined,
    scopes: AcsScope[],
    expiresInMinutes?: number | null,
  ): Promise<MintedToken> {
    return this.trail.audited(caller, { action: "token.issue", scopes }, async (audit) => {
      requirePermission(caller, ["identity:create"], "Creating identities");
      requirePermission(caller, ["mint:any"], "Minting tokens for other identities");
      if (owner != null) assertOwner(owner);
      const minutes = tokenLifetime(caller, scopes, expiresInMinutes);
      await this.limiter.consume(["create", "mint"], caller);
      const { record } = await this.provision(caller, owner ?? null);
      audit.identityId = record.id;
      return issuedAt(audit, await this.provisioner.mint(record, scopes, minutes), this.now());
    });
  }

  async issueAccessToken(
    caller: Caller,
    identityId: string,
    scopes: AcsScope[],
    expiresInMinutes?: number | null,
  ): Promise<MintedToken> {
    return this.trail.audited(caller, { action: "token.issue", identityId, scopes }, async (audit) => {
      assertIdentityId(identityId);
      requireSubject(caller);
      // The request is checked against the policy before the identity is looked up, so the answer to
      // asking for too much cannot depend on whether the id exists.
      const minutes = tokenLifetime(caller, scopes, expiresInMinutes);
      const record = await this.visibleIdentity(caller, identityId, ["mint:any"], audit);
      if (owns(caller, record))
        requirePermission(caller, ["mint:self", "mint:any"], "Minting a token for your identity");
      else requirePermission(caller, ["mint:any"], "Minting tokens for an identity you do not own");
      return this.mintOrReuse(caller, record, scopes, minutes, audit);
    });
  }

  /**
   * Exchanges the caller's own Teams user token (a Microsoft Entra ID access token) for an ACS token.
   * The Teams token is used once and kept nowhere: not stored, not logged, not in the audit trail.
   */
  async exchangeTeamsUserToken(caller: Caller, request: TeamsTokenRequest): Promise<TeamsToken> {
    return this.trail.audited(caller, { action: "token.exchange_teams" }, async () => {
      requireSubject(caller);
      assertTeamsRequest(request);
      requirePermission(caller, ["mint:self", "mint:any"], "Exchanging your Teams token");
      assertOwnTeamsUser(caller, request);
      await this.limiter.consume("mint", caller);
      return this.acs.exchangeTeamsToken(request);
    });
  }

  /** Invalidates every token issued so far for the identity. Owners may revoke their own tokens. */
  async revokeAccessTokens(caller: Caller, identityId: string): Promise<IdentityRecord> {
    return this.trail.audited(caller, { action: "token.revoke", identityId }, async (audit) => {
      assertIdentityId(identityId);
      requireSubject(caller);
      const record = await this.visibleIdentity(caller, identityId, ["token:revoke"], audit);
      if (!owns(caller, record))
        requirePermission(caller, ["token:revoke"], "Revoking tokens of an identity you do not own");
      await this.limiter.consume("revoke", caller);
      await this.forgetTokens(record.id, () => this.acs.revokeTokens(record.id));
      const at = this.now();
      await this.store.markTokensRevoked(record.id, at);
      this.owners.forget(record.owner);
      return { ...record, tokensRevokedAt: at };
    });
  }

  /**
   * Deletes the ACS identity (which also invalidates its tokens) and marks the mapping deleted.
   * The request is recorded first, so if ACS or the database fails midway, calling again (or the
   * reconciler) completes it.
   */
  async deleteIdentity(caller: Caller, identityId: string): Promise<IdentityRecord> {
    return this.trail.audited(caller, { action: "identity.delete", identityId }, async () => {
      assertIdentityId(identityId);
      requirePermission(caller, ["identity:delete"], "Deleting identities");
      // identity:delete reaches every identity, so its holders get precise answers.
      const record = await this.store.findById(identityId);
      if (!record) throw unknownIdentity();
      if (record.deletedAt) return record;
      await this.limiter.consume("delete", caller);
      await this.store.markDeletionRequested(record.id, this.now());
      // This process mints for the owner no more; other replicas learn it from ACS (see owner-cache.ts).
      this.owners.forget(record.owner);
      await this.forgetTokens(record.id, () => this.acs.deleteIdentity(record.id));
      try {
        return await this.store.markDeleted(record.id, this.now());
      } finally {
        this.owners.forget(record.owner);
      }
    });
  }

  async myIdentity(caller: Caller): Promise<IdentityRecord | null> {
    return (await this.store.findActiveByOwner(requireSubject(caller))) ?? null;
  }

  /**
   * The identity, if the caller owns it or may read any identity; null otherwise. Someone else's
   * identity answers null like an unknown id (no oracle), and the attempt is recorded as a denial.
   */
  async identity(caller: Caller, identityId: string): Promise<IdentityRecord | null> {
    assertIdentityId(identityId, "id");
    requireSubject(caller);
    const record = await this.store.findById(identityId);
    if (maySee(caller, record, [])) return record ?? null;
    await this.trail.recordDenial(caller, {
      action: "identity.read",
      identityId,
      errorCode: record ? ErrorCode.FORBIDDEN : ErrorCode.NOT_FOUND,
    });
    return null;
  }

  async identities(caller: Caller, query: ListIdentitiesQuery): Promise<Page<IdentityRecord>> {
    await this.trail.authorize(caller, ["identity:read"], "Listing identities", "identity.list");
    assertPageSize(query.first);
    assertCursor(query.after);
    if (query.owner != null) assertOwner(query.owner);
    return this.store.list(query);
  }

  async auditEvents(caller: Caller, query: ListAuditQuery): Promise<Page<AuditEvent>> {
    await this.trail.authorize(caller, ["audit:read"], "Reading the audit log", "audit.read");
    assertPageSize(query.first);
    assertCursor(query.after);
    if (query.identityId != null) assertIdentityId(query.identityId);
    if (query.actor != null) assertOwner(query.actor, "actor");
    return this.auditLog.list(query);
  }

  /** Batch lookup for federation: owners' active identities, visible to the caller only. */
  async identitiesOfOwners(caller: Caller, owners: readonly string[]): Promise<Map<string, IdentityRecord>> {
    requireSubject(caller);
    const readAll = caller.effective.permissions.has("identity:read");
    // Only valid subjects reach the store: the driver would turn an unpaired surrogate into U+FFFD.
    const valid = owners.filter(isSubject);
    const visible = readAll ? valid : valid.filter((owner) => owner === caller.subject);
    return visible.length ? this.store.findActiveByOwners(visible) : new Map();
  }

  /** Batch lookup for federation `_entities`: identities the caller may read. */
  async identitiesByIds(caller: Caller, ids: readonly string[]): Promise<Map<string, IdentityRecord>> {
    const subject = requireSubject(caller);
    // Without identity:read only the caller's own are visible: filtered in SQL, so timing hides the rest.
    return this.store.findByIds(
      ids.filter(isIdentityId),
      caller.effective.permissions.has("identity:read") ? undefined : subject,
    );
  }

  /** Adds the repeats of aggregated denials to their events; before the database closes. */
  flushAudit(): Promise<void> {
    return this.trail.flush();
  }

  /** Deletes and creates that failures left half done. Needs identity:delete (an operator's). */
  async pendingOperations(caller: Caller, first: number): Promise<PendingOperations> {
    await this.trail.authorize(caller, ["identity:delete"], "Listing pending operations", "identity.list");
    assertPageSize(first);
    const [deletes, creations] = await Promise.all([
      this.store.pendingDeletes(this.now(), first),
      this.creations.list(first),
    ]);
    return { deletes, creations };
  }

  /** Runs the reconciler now, on behalf of an operator (its actions are audited under their name). */
  async reconcile(caller: Caller): Promise<ReconcileReport> {
    await this.trail.authorize(caller, ["identity:delete"], "Running the reconciler", "identity.reconcile");
    return this.reconciler.run({
      actor: actorOf(caller),
      requestId: caller.requestId,
      operation: caller.operation ?? null,
    });
  }

  /** Records a refusal made outside the core (the schema's guard) in the audit trail. */
  recordDenial(caller: Caller, attempt: DeniedAttempt): Promise<void> {
    return this.trail.recordDenial(caller, attempt);
  }

  /**
   * The identity to act on, if the caller may see it and it is usable. For a caller who may not see it,
   * not found, forbidden and deleted are one answer (`unknownIdentity`); the audit records the truth.
   */
  private async visibleIdentity(
    caller: Caller,
    identityId: string,
    reach: Permission[],
    audit: AuditContext,
  ): Promise<IdentityRecord> {
    const record = await this.store.findById(identityId);
    if (!maySee(caller, record, reach)) {
      audit.hidden = { errorCode: record ? ErrorCode.FORBIDDEN : ErrorCode.NOT_FOUND };
      throw unknownIdentity();
    }
    if (!record) throw unknownIdentity();
    if (record.deletedAt) throw notFound(`Identity ${identityId} was deleted.`);
    if (record.deletionRequestedAt) throw notFound(`Identity ${identityId} is being deleted.`);
    return record;
  }

  /**
   * Mints for an identity, spending the caller's mint limits (unless `charged` already); with token
   * reuse on, a kept token that fits is answered instead, and only a fresh one spends the service-wide
   * (ACS) budget. A fresh token is kept for the next request.
   */
  private async mintOrReuse(
    caller: Caller,
    record: IdentityRecord,
    scopes: AcsScope[],
    minutes: number,
    audit: AuditContext,
    { charged = false } = {},
  ): Promise<MintedToken> {
    const fresh = async () => {
      if (!charged) await this.limiter.consume("mint", caller, this.tokenReuse ? "service" : "all");
      return this.provisioner.mint(record, scopes, minutes);
    };
    if (!this.tokenReuse) return issuedAt(audit, await fresh(), this.now());
    if (!charged) await this.limiter.consume("mint", caller, "caller");
    return issuedAt(audit, await this.tokenReuse.mint(record, scopes, minutes, fresh), this.now());
  }

  /**
   * Runs an ACS action that invalidates the identity's tokens (revoke, delete) so that no kept token
   * is handed out again: kept tokens are dropped before it (none is reused meanwhile) and after it
   * (none minted while it ran is kept).
   */
  private async forgetTokens(identityId: string, action: () => Promise<void>): Promise<void> {
    await this.tokenReuse?.invalidate(identityId);
    await action();
    await this.tokenReuse?.invalidate(identityId);
  }

  /** An owned identity is got-or-created (one per owner); an ownerless one is always new. */
  private provision(caller: Caller, owner: string | null) {
    return owner === null
      ? this.provisioner.withoutOwner(creationBy(caller, null))
      : this.provisioner.forOwner(creationBy(caller, owner));
  }
}

/** A create asked for by the caller, named in its `identity.create` event. */
function creationBy<Owner extends string | null>(caller: Caller, owner: Owner) {
  return {
    owner,
    createdBy: actorOf(caller),
    requestId: caller.requestId,
    operation: caller.operation ?? null,
  };
}

/**
 * An identity's lastTokenIssuedAt is the time of its latest successful `token.issue` audit event (the
 * mint's one durable write; the store derives it from there): the answer carries the event's time.
 */
function issuedAt(audit: AuditContext, minted: MintedToken, at: Date): MintedToken {
  audit.at = at;
  return { ...minted, identity: { ...minted.identity, lastTokenIssuedAt: at } };
}
