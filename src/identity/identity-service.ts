import type { Permission } from "../auth/policy";
import { checkTokenRequest } from "../auth/policy";
import { AppError, ErrorCode, forbidden, notFound } from "../errors";
import { actorOf, type Caller } from "./caller";
import type { AcsScope, AuditAction, AuditEvent, IdentityRecord, NewAuditEvent, Page } from "./model";
import { MAX_TOKEN_MINUTES } from "./model";
import type {
  AcsIdentityBackend,
  AuditLog,
  IdentityStore,
  ListAuditQuery,
  ListIdentitiesQuery,
  RateLimiter,
} from "./ports";
import { assertCursor, assertIdentityId, assertOwner, assertPageSize, isIdentityId } from "./validation";

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
  /**
   * Set when the caller is answered as if the identity did not exist because they may not see it:
   * the audit trail records the truth (a denial, and whether the identity is known) instead.
   */
  hidden?: { errorCode: ErrorCode };
}

/** A refusal to record that happened outside a mutation (a read, or the schema's guard). */
export interface DeniedAttempt {
  action: AuditAction;
  /** Recorded only when it is a well-formed ACS id: the audit trail never stores arbitrary input. */
  identityId?: unknown;
  scopes?: AcsScope[] | null;
  /** The code to record (for an identity hidden from the caller, the truth, not the answer); FORBIDDEN by default. */
  errorCode?: ErrorCode;
}

/**
 * The one answer for an identity a caller may not see, whether it belongs to someone else, was deleted
 * or never existed: the same code and message, so the answer does not reveal which ids exist.
 */
const unknownIdentity = () => notFound("No identity with this id that you may use is known to this service.");

// Shown to the caller when the audit trail cannot be written; the cause goes to the log with the request id.
const REPORT = "Quote the x-request-id response header when reporting it.";
const notRecorded = (cause: unknown) =>
  new AppError(
    ErrorCode.INTERNAL,
    `The action was carried out but could not be recorded, so its result is withheld; retrying is safe. ${REPORT}`,
    {},
    { cause },
  );

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
      // A first mint also creates the identity in ACS, which spends the create quota too.
      const existing = await this.deps.store.findActiveByOwner(userId);
      await this.deps.limiter.consume(existing ? ["mint"] : ["mint", "create"], caller);
      const { record, created } = existing
        ? { record: this.notBeingDeleted(existing), created: false }
        : await this.getOrCreateOwned(userId, actorOf(caller));
      audit.identityId = record.id;
      if (created) await this.recordCreation(caller, record);
      return this.mint(record, scopes, minutes);
    });
  }

  async createIdentity(caller: Caller, owner?: string | null): Promise<IdentityRecord> {
    return this.audited(caller, { action: "identity.create" }, async (audit) => {
      this.require(caller, ["identity:create"], "Creating identities");
      if (owner != null) assertOwner(owner);
      await this.deps.limiter.consume("create", caller);
      const { record } = await this.createFor(caller, owner ?? null);
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
      await this.deps.limiter.consume(["create", "mint"], caller);
      const { record, created } = await this.createFor(caller, owner ?? null);
      audit.identityId = record.id;
      if (created) await this.recordCreation(caller, record);
      return this.mint(record, scopes, minutes);
    });
  }

  async issueAccessToken(
    caller: Caller,
    identityId: string,
    scopes: AcsScope[],
    expiresInMinutes?: number | null,
  ): Promise<MintedToken> {
    return this.audited(caller, { action: "token.issue", identityId, scopes }, async (audit) => {
      assertIdentityId(identityId);
      this.requireSubject(caller);
      // The request is checked against the policy before the identity is looked up, so the answer to
      // asking for too much cannot depend on whether the id exists.
      const minutes = this.tokenRequest(caller, scopes, expiresInMinutes);
      const record = await this.visibleIdentity(caller, identityId, ["mint:any"], audit);
      if (this.owns(caller, record))
        this.require(caller, ["mint:self", "mint:any"], "Minting a token for your identity");
      else this.require(caller, ["mint:any"], "Minting tokens for an identity you do not own");
      await this.deps.limiter.consume("mint", caller);
      return this.mint(record, scopes, minutes);
    });
  }

  /** Invalidates every token issued so far for the identity. Owners may revoke their own tokens. */
  async revokeAccessTokens(caller: Caller, identityId: string): Promise<IdentityRecord> {
    return this.audited(caller, { action: "token.revoke", identityId }, async (audit) => {
      assertIdentityId(identityId);
      this.requireSubject(caller);
      const record = await this.visibleIdentity(caller, identityId, ["token:revoke"], audit);
      if (!this.owns(caller, record))
        this.require(caller, ["token:revoke"], "Revoking tokens of an identity you do not own");
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
      // identity:delete reaches every identity, so its holders get precise answers.
      const record = await this.deps.store.findById(identityId);
      if (!record) throw unknownIdentity();
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

  /**
   * The identity, if the caller owns it or may read any identity; null otherwise. Someone else's
   * identity answers null like an unknown id (no oracle), and the attempt is recorded as a denial.
   */
  async identity(caller: Caller, identityId: string): Promise<IdentityRecord | null> {
    assertIdentityId(identityId, "id");
    this.requireSubject(caller);
    const record = await this.deps.store.findById(identityId);
    if (this.maySee(caller, record, [])) return record ?? null;
    await this.recordDenial(caller, {
      action: "identity.read",
      identityId,
      errorCode: record ? ErrorCode.FORBIDDEN : ErrorCode.NOT_FOUND,
    });
    return null;
  }

  async identities(caller: Caller, query: ListIdentitiesQuery): Promise<Page<IdentityRecord>> {
    await this.authorize(caller, ["identity:read"], "Listing identities", "identity.list");
    assertPageSize(query.first);
    assertCursor(query.after);
    if (query.owner != null) assertOwner(query.owner);
    return this.deps.store.list(query);
  }

  async auditEvents(caller: Caller, query: ListAuditQuery): Promise<Page<AuditEvent>> {
    await this.authorize(caller, ["audit:read"], "Reading the audit log", "audit.read");
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
    const subject = this.requireSubject(caller);
    // Without identity:read only the caller's own are visible: filtered in SQL, so timing hides the rest.
    return this.deps.store.findByIds(
      ids,
      caller.effective.permissions.has("identity:read") ? undefined : subject,
    );
  }

  /**
   * Records a refusal as a `denied` audit event, durable when this resolves. The schema's guard calls it
   * for the refusals it makes before any resolver runs. Anonymous callers are not recorded: anyone can
   * send those for free, and a row each would let them flood the trail (they are logged and counted).
   * If the event cannot be written, this throws INTERNAL: the caller is refused either way, and an
   * operator finds the failure in the log under the request id instead of a silent gap in the trail.
   */
  async recordDenial(caller: Caller, attempt: DeniedAttempt): Promise<void> {
    if (caller.subject === null) return;
    await this.writeAudit(caller, {
      action: attempt.action,
      identityId: isIdentityId(attempt.identityId) ? attempt.identityId : null,
      scopes: attempt.scopes ?? null,
      expiresOn: null,
      outcome: "denied",
      errorCode: attempt.errorCode ?? ErrorCode.FORBIDDEN,
    }).catch((cause) => {
      throw new AppError(ErrorCode.INTERNAL, `This request was refused. ${REPORT}`, {}, { cause });
    });
  }

  // ---- helpers ----

  private owns(caller: Caller, record: IdentityRecord | undefined): boolean {
    return record?.owner != null && record.owner === caller.subject;
  }

  /**
   * May the caller learn whether this identity exists, and in what state? Yes if it is theirs, or if
   * they may read every identity, or if `reach` (the permission that lets them act on any identity for
   * this operation) says so. Everyone else gets one answer for every id they do not own.
   */
  private maySee(caller: Caller, record: IdentityRecord | undefined, reach: Permission[]): boolean {
    if (this.owns(caller, record)) return true;
    return ["identity:read" as const, ...reach].some((p) => caller.effective.permissions.has(p));
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
    const record = await this.deps.store.findById(identityId);
    if (!this.maySee(caller, record, reach)) {
      audit.hidden = { errorCode: record ? ErrorCode.FORBIDDEN : ErrorCode.NOT_FOUND };
      throw unknownIdentity();
    }
    if (!record) throw unknownIdentity();
    if (record.deletedAt) throw notFound(`Identity ${identityId} was deleted.`);
    if (record.deletionRequestedAt) throw notFound(`Identity ${identityId} is being deleted.`);
    return record;
  }

  /**
   * An identity created on the way to a token is a create of its own in the audit trail, recorded as
   * soon as it exists: if minting then fails, the trail still shows the identity that was made.
   */
  private async recordCreation(caller: Caller, record: IdentityRecord): Promise<void> {
    await this.writeAudit(caller, {
      action: "identity.create",
      identityId: record.id,
      scopes: null,
      expiresOn: null,
      outcome: "success",
      errorCode: null,
    }).catch((cause) => {
      throw notRecorded(cause);
    });
  }

  /** `require`, recording a refusal; for the reads, which `audited` does not wrap. */
  private async authorize(caller: Caller, anyOf: Permission[], what: string, action: AuditAction) {
    try {
      this.require(caller, anyOf, what);
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.FORBIDDEN)
        await this.recordDenial(caller, { action });
      throw error;
    }
  }

  /** Records what the caller did or tried; who, which request and which field come from the caller. */
  private writeAudit(
    caller: Caller,
    event: Omit<NewAuditEvent, "actor" | "requestId" | "operation" | "at">,
  ): Promise<AuditEvent> {
    return this.deps.audit.record({
      ...event,
      actor: actorOf(caller),
      requestId: caller.requestId,
      operation: caller.operation ?? null,
    });
  }

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

  private async createFor(
    caller: Caller,
    owner: string | null,
  ): Promise<{ record: IdentityRecord; created: boolean }> {
    if (owner !== null) return this.getOrCreateOwned(owner, actorOf(caller));
    const { id } = await this.deps.acs.createIdentity();
    try {
      const record = await this.deps.store.insert({
        id,
        owner: null,
        createdBy: actorOf(caller),
        createdAt: this.now(),
      });
      return { record, created: true };
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
    return { ...result, record: this.notBeingDeleted(result.record) };
  }

  /** An owner's identity whose delete is pending blocks both its use and a new one for that owner. */
  private notBeingDeleted(record: IdentityRecord): IdentityRecord {
    if (record.deletionRequestedAt) {
      throw notFound(
        "This identity is being deleted; an operator must complete the delete before a new one is created.",
      );
    }
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

  /**
   * Runs a mutation and records its outcome in the audit log. The event of a completed action is
   * durable before the result is returned (so before any response is sent). If it cannot be written,
   * the result is withheld and the caller gets INTERNAL: a response never claims success without its
   * record. The action itself stands (ACS has done it); each action is safe to retry, and the retry
   * is recorded. Denials are recorded too (see `recordDenial`); other failures are recorded when the
   * database allows, and otherwise the caller still gets the failure's own error.
   */
  private async audited<T extends IdentityRecord | MintedToken>(
    caller: Caller,
    context: AuditContext,
    run: (audit: AuditContext) => Promise<T>,
  ): Promise<T> {
    const event: AuditContext = { ...context };
    const identityOf = () => (isIdentityId(event.identityId) ? event.identityId : null);
    let result: T;
    try {
      result = await run(event);
    } catch (error) {
      const code = error instanceof AppError ? error.code : ErrorCode.INTERNAL;
      // Anonymous probing is not worth a row per request (see recordDenial).
      if (code === ErrorCode.UNAUTHENTICATED) throw error;
      const denied = event.hidden !== undefined || code === ErrorCode.FORBIDDEN;
      if (denied) {
        await this.recordDenial(caller, {
          action: event.action,
          identityId: identityOf(),
          scopes: event.scopes ?? null,
          errorCode: event.hidden?.errorCode ?? code,
        });
      } else {
        await this.writeAudit(caller, {
          action: event.action,
          identityId: identityOf(),
          scopes: event.scopes ?? null,
          expiresOn: null,
          outcome: "failed",
          errorCode: code,
        }).catch(() => undefined); // the failure itself matters more to the caller
      }
      throw error;
    }
    const identityId = "identity" in result ? result.identity.id : result.id;
    try {
      await this.writeAudit(caller, {
        action: event.action,
        identityId,
        scopes: event.scopes ?? null,
        expiresOn: "expiresOn" in result ? result.expiresOn : null,
        outcome: "success",
        errorCode: null,
      });
    } catch (cause) {
      throw notRecorded(cause);
    }
    return result;
  }
}
