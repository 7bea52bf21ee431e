import type { Permission } from "../auth/policy";
import { checkTokenRequest } from "../auth/policy";
import { AppError, ErrorCode, forbidden, notFound } from "../errors";
import { actorOf, type Caller } from "./caller";
import type { AcsScope, AuditAction, AuditEvent, IdentityRecord, Page } from "./model";
import { MAX_TOKEN_MINUTES } from "./model";
import type {
  AcsIdentityBackend,
  AuditLog,
  IdentityStore,
  ListAuditQuery,
  ListIdentitiesQuery,
  RateLimiter,
} from "./ports";
import { assertCursor, assertIdentityId, assertOwner, assertPageSize } from "./validation";

export interface MintedToken {
  token: string;
  expiresOn: Date;
  scopes: AcsScope[];
  identity: IdentityRecord;
}

export interface IdentityServiceDeps {
  acs: AcsIdentityBackend;
  store: IdentityStore;
  audit: AuditLog;
  limiter: RateLimiter;
  now?: () => Date;
}

interface AuditContext {
  action: AuditAction;
  identityId?: string | null;
  scopes?: AcsScope[] | null;
}

/**
 * The domain core: every action on identities and tokens, with its authorization, quota and audit.
 * It sees only interfaces (ACS, store, audit, rate limiter): no GraphQL, no SQL, no SDK.
 */
export class IdentityService {
  private readonly now: () => Date;

  constructor(private readonly deps: IdentityServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The common path: get or create the caller's own identity, then mint a token for it. */
  async issueMyAccessToken(
    caller: Caller,
    scopes: AcsScope[],
    expiresInMinutes?: number | null,
  ): Promise<MintedToken> {
    return this.issueUserAccessToken(caller, this.requireSubject(caller), scopes, expiresInMinutes);
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
    return this.audited(caller, { action: "token.issue", scopes }, async (audit) => {
      this.requireSubject(caller);
      assertOwner(userId, "userId");
      if (userId === caller.subject) {
        this.require(caller, ["mint:self", "mint:any"], "Minting a token for yourself");
      } else {
        this.require(caller, ["mint:any"], "Minting tokens for another user");
        this.require(caller, ["identity:create"], "Creating identities for another user");
      }
      const minutes = this.tokenRequest(caller, scopes, expiresInMinutes);
      await this.deps.limiter.consume("mint", caller);
      const { record } = await this.getOrCreateOwned(userId, actorOf(caller));
      audit.identityId = record.id;
      return this.mint(record, scopes, minutes);
    });
  }

  async createIdentity(caller: Caller, owner?: string | null): Promise<IdentityRecord> {
    return this.audited(caller, { action: "identity.create" }, async (audit) => {
      this.require(caller, ["identity:create"], "Creating identities");
      if (owner != null) assertOwner(owner);
      await this.deps.limiter.consume("create", caller);
      const record = await this.createFor(caller, owner ?? null);
      audit.identityId = record.id;
      return record;
    });
  }

  async createIdentityWithToken(
    caller: Caller,
    owner: string | null | undefined,
    scopes: AcsScope[],
    expiresInMinutes?: number | null,
  ): Promise<MintedToken> {
    return this.audited(caller, { action: "token.issue", scopes }, async (audit) => {
      this.require(caller, ["identity:create"], "Creating identities");
      this.require(caller, ["mint:any"], "Minting tokens for other identities");
      if (owner != null) assertOwner(owner);
      const minutes = this.tokenRequest(caller, scopes, expiresInMinutes);
      await this.deps.limiter.consume("create", caller);
      await this.deps.limiter.consume("mint", caller);
      const record = await this.createFor(caller, owner ?? null);
      audit.identityId = record.id;
      return this.mint(record, scopes, minutes);
    });
  }

  async issueAccessToken(
    caller: Caller,
    identityId: string,
    scopes: AcsScope[],
    expiresInMinutes?: number | null,
  ): Promise<MintedToken> {
    return this.audited(caller, { action: "token.issue", identityId, scopes }, async () => {
      assertIdentityId(identityId);
      this.requireSubject(caller);
      const record = await this.usableIdentity(identityId);
      const own = record.owner !== null && record.owner === caller.subject;
      if (own) this.require(caller, ["mint:self", "mint:any"], "Minting a token for your identity");
      else this.require(caller, ["mint:any"], "Minting tokens for an identity you do not own");
      const minutes = this.tokenRequest(caller, scopes, expiresInMinutes);
      await this.deps.limiter.consume("mint", caller);
      return this.mint(record, scopes, minutes);
    });
  }

  /** Invalidates every token issued so far for the identity. Owners may revoke their own tokens. */
  async revokeAccessTokens(caller: Caller, identityId: string): Promise<IdentityRecord> {
    return this.audited(caller, { action: "token.revoke", identityId }, async () => {
      assertIdentityId(identityId);
      this.requireSubject(caller);
      const record = await this.usableIdentity(identityId);
      const own = record.owner !== null && record.owner === caller.subject;
      if (!own) this.require(caller, ["token:revoke"], "Revoking tokens of an identity you do not own");
      await this.deps.limiter.consume("revoke", caller);
      await this.deps.acs.revokeTokens(record.id);
      const at = this.now();
      await this.deps.store.markTokensRevoked(record.id, at);
      return { ...record, tokensRevokedAt: at };
    });
  }

  /**
   * Deletes the ACS identity (which also invalidates its tokens) and marks the mapping deleted.
   * The request is recorded first, so if ACS or the database fails midway, calling again completes it.
   */
  async deleteIdentity(caller: Caller, identityId: string): Promise<IdentityRecord> {
    return this.audited(caller, { action: "identity.delete", identityId }, async () => {
      assertIdentityId(identityId);
      this.require(caller, ["identity:delete"], "Deleting identities");
      const record = await this.deps.store.findById(identityId);
      if (!record) throw notFound(`No identity ${identityId} is known to this service.`);
      if (record.deletedAt) return record;
      await this.deps.limiter.consume("delete", caller);
      const at = this.now();
      await this.deps.store.markDeletionRequested(record.id, at);
      await this.deps.acs.deleteIdentity(record.id);
      return this.deps.store.markDeleted(record.id, this.now());
    });
  }

  async myIdentity(caller: Caller): Promise<IdentityRecord | null> {
    const subject = this.requireSubject(caller);
    return (await this.deps.store.findActiveByOwner(subject)) ?? null;
  }

  /** The identity, if the caller owns it or may read any identity. */
  async identity(caller: Caller, identityId: string): Promise<IdentityRecord | null> {
    assertIdentityId(identityId, "id");
    this.requireSubject(caller);
    const record = await this.deps.store.findById(identityId);
    if (!record) return null;
    if (record.owner !== caller.subject)
      this.require(caller, ["identity:read"], "Reading identities you do not own");
    return record;
  }

  async identities(caller: Caller, query: ListIdentitiesQuery): Promise<Page<IdentityRecord>> {
    this.require(caller, ["identity:read"], "Listing identities");
    assertPageSize(query.first);
    assertCursor(query.after);
    if (query.owner != null) assertOwner(query.owner);
    return this.deps.store.list(query);
  }

  async auditEvents(caller: Caller, query: ListAuditQuery): Promise<Page<AuditEvent>> {
    this.require(caller, ["audit:read"], "Reading the audit log");
    assertPageSize(query.first);
    assertCursor(query.after);
    if (query.identityId != null) assertIdentityId(query.identityId);
    if (query.actor != null) assertOwner(query.actor, "actor");
    return this.deps.audit.list(query);
  }

  /** Batch lookup for federation: owners' active identities, visible to the caller only. */
  async identitiesOfOwners(caller: Caller, owners: readonly string[]): Promise<Map<string, IdentityRecord>> {
    this.requireSubject(caller);
    const readAll = caller.effective.permissions.has("identity:read");
    const visible = readAll ? owners : owners.filter((owner) => owner === caller.subject);
    return visible.length ? this.deps.store.findActiveByOwners(visible) : new Map();
  }

  /** Batch lookup for federation `_entities`: identities the caller may read. */
  async identitiesByIds(caller: Caller, ids: readonly string[]): Promise<Map<string, IdentityRecord>> {
    this.requireSubject(caller);
    const found = await this.deps.store.findByIds(ids);
    if (caller.effective.permissions.has("identity:read")) return found;
    return new Map(
      [...found].filter(([, record]) => record.owner !== null && record.owner === caller.subject),
    );
  }

  // ---- helpers ----

  private async mint(record: IdentityRecord, scopes: AcsScope[], minutes: number): Promise<MintedToken> {
    const issued = await this.deps.acs.issueToken(record.id, scopes, minutes);
    const at = this.now();
    await this.deps.store.markTokenIssued(record.id, at);
    return {
      token: issued.token,
      expiresOn: issued.expiresOn,
      scopes,
      identity: { ...record, lastTokenIssuedAt: at },
    };
  }

  private async createFor(caller: Caller, owner: string | null): Promise<IdentityRecord> {
    if (owner !== null) return (await this.getOrCreateOwned(owner, actorOf(caller))).record;
    const { id } = await this.deps.acs.createIdentity();
    try {
      return await this.deps.store.insert({
        id,
        owner: null,
        createdBy: actorOf(caller),
        createdAt: this.now(),
      });
    } catch (error) {
      await this.deps.acs.deleteIdentity(id).catch(() => undefined); // leave no orphan in ACS
      throw error;
    }
  }

  private async getOrCreateOwned(owner: string, createdBy: string) {
    const result = await this.deps.store.getOrCreateForOwner(
      owner,
      async () => ({
        id: (await this.deps.acs.createIdentity()).id,
        owner,
        createdBy,
        createdAt: this.now(),
      }),
      (id) => this.deps.acs.deleteIdentity(id),
    );
    if (result.record.deletionRequestedAt) {
      throw notFound(
        "This identity is being deleted; an operator must complete the delete before a new one is created.",
      );
    }
    return result;
  }

  private async usableIdentity(identityId: string): Promise<IdentityRecord> {
    const record = await this.deps.store.findById(identityId);
    if (!record || record.deletedAt) throw notFound(`No identity ${identityId} is known to this service.`);
    if (record.deletionRequestedAt) throw notFound(`Identity ${identityId} is being deleted.`);
    return record;
  }

  /** Validates a token request against ACS's range and the caller's policy; returns the lifetime to ask for. */
  private tokenRequest(caller: Caller, scopes: AcsScope[], expiresInMinutes?: number | null): number {
    const minutes = expiresInMinutes ?? Math.min(MAX_TOKEN_MINUTES, caller.effective.maxTokenLifetimeMinutes);
    checkTokenRequest(caller.effective, scopes, minutes);
    return minutes;
  }

  private requireSubject(caller: Caller): string {
    if (caller.subject === null)
      throw new AppError(ErrorCode.UNAUTHENTICATED, "Sign in: this operation needs a bearer token.");
    return caller.subject;
  }

  private require(caller: Caller, anyOf: Permission[], what: string): void {
    if (anyOf.some((permission) => caller.effective.permissions.has(permission))) return;
    if (caller.subject === null)
      throw new AppError(ErrorCode.UNAUTHENTICATED, `${what} needs a bearer token.`);
    throw forbidden(`${what} is not allowed for your roles (needs one of: ${anyOf.join(", ")}).`);
  }

  /** Runs a mutation and records its outcome in the audit log; the event of a completed action is durable. */
  private async audited<T extends IdentityRecord | MintedToken>(
    caller: Caller,
    context: AuditContext,
    run: (audit: AuditContext) => Promise<T>,
  ): Promise<T> {
    const event: AuditContext = { ...context };
    const base = { actor: actorOf(caller), action: event.action, requestId: caller.requestId };
    try {
      const result = await run(event);
      const identityId = "identity" in result ? result.identity.id : result.id;
      await this.deps.audit.record({
        ...base,
        identityId,
        scopes: event.scopes ?? null,
        expiresOn: "expiresOn" in result ? result.expiresOn : null,
        outcome: "success",
        errorCode: null,
      });
      return result;
    } catch (error) {
      const code = error instanceof AppError ? error.code : ErrorCode.INTERNAL;
      // Anonymous probing is not worth a row per request; everything else is.
      if (code !== ErrorCode.UNAUTHENTICATED) {
        await this.deps.audit
          .record({
            ...base,
            identityId: event.identityId && event.identityId.length <= 128 ? event.identityId : null,
            scopes: event.scopes ?? null,
            expiresOn: null,
            outcome: code === ErrorCode.FORBIDDEN ? "denied" : "failed",
            errorCode: code,
          })
          .catch(() => undefined); // the original error matters more to the caller
      }
      throw error;
    }
  }
}
