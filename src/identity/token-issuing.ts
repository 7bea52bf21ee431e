// The use cases that hand out tokens: for a user of the graph (their identity made on first use), for
// a given identity or a new one, and for a Teams user by exchange. Each is one audited story: check the
// request and the caller's rights, spend quota, then mint (token-minting.ts) or exchange through ACS.
import { AppError, ErrorCode } from "../errors";
import { owns, requirePermission, requireSubject, tokenLifetime, usableIdentity } from "./access";
import type { AuditContext } from "./audit-trail";
import { creationBy, type Caller } from "./caller";
import type { Collaborators } from "./collaborators";
import type { AcsScope, IdentityRecord } from "./model";
import type { TeamsTokenRequest } from "./ports";
import type { MintedToken } from "./provisioning";
import { assertOwnTeamsUser, assertTeamsRequest } from "./teams-exchange";
import { assertIdentityId, assertOwner } from "./validation";

/** An ACS token for a Teams user: it belongs to their Teams identity, not to an identity of ours. */
export interface TeamsToken {
  token: string;
  expiresOn: Date;
}

type Deps = Pick<Collaborators, "acs" | "store" | "limiter" | "trail" | "provisioner" | "owners" | "minter">;

export class TokenIssuing {
  constructor(private readonly deps: Deps) {}

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
    const { trail, owners, store, provisioner, minter } = this.deps;
    return trail.audited(caller, { action: "token.issue", scopes }, async (audit) => {
      requireSubject(caller);
      assertOwner(userId, "userId");
      if (userId === caller.subject) {
        requirePermission(caller, ["mint:self", "mint:any"], "Minting a token for yourself");
      } else {
        requirePermission(caller, ["mint:any"], "Minting tokens for another user");
        requirePermission(caller, ["identity:create"], "Creating identities for another user");
      }
      const minutes = tokenLifetime(caller, scopes, expiresInMinutes);
      const lookUp = () => owners.find(userId, (owner) => store.findActiveByOwner(owner));
      const { record: existing, cached, keep } = await lookUp();
      if (!existing) return this.mintFirst(caller, userId, scopes, minutes, audit, { keep });
      const record = provisioner.existing(existing).record;
      audit.identityId = record.id;
      try {
        return await minter.mint(caller, record, scopes, minutes, audit);
      } catch (error) {
        // ACS no longer knows a cached identity: another replica deleted it. Look again (the mint
        // was charged already) and mint for the owner's identity as the database has it now.
        if (!cached || !(error instanceof AppError) || error.code !== ErrorCode.NOT_FOUND) throw error;
        owners.forget(userId);
        const again = await lookUp();
        const current = again.record;
        if (current?.id === record.id) {
          owners.forget(userId);
          throw error;
        }
        if (!current)
          return this.mintFirst(caller, userId, scopes, minutes, audit, { charged: true, keep: again.keep });
        audit.identityId = current.id;
        const fresh = provisioner.existing(current).record;
        return minter.mint(caller, fresh, scopes, minutes, audit, { charged: true });
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
    await this.deps.limiter.consume(charged ? "create" : ["mint", "create"], caller);
    // A new identity's `identity.create` event is stored with it, by the provisioner.
    const { record } = await this.deps.provisioner.forOwner(creationBy(caller, userId));
    keep(record);
    audit.identityId = record.id;
    return this.deps.minter.mint(caller, record, scopes, minutes, audit, { charged: true });
  }

  async createIdentityWithToken(
    caller: Caller,
    owner: string | null | undefined,
    scopes: AcsScope[],
    expiresInMinutes?: number | null,
  ): Promise<MintedToken> {
    return this.deps.trail.audited(caller, { action: "token.issue", scopes }, async (audit) => {
      requirePermission(caller, ["identity:create"], "Creating identities");
      requirePermission(caller, ["mint:any"], "Minting tokens for other identities");
      if (owner != null) assertOwner(owner);
      const minutes = tokenLifetime(caller, scopes, expiresInMinutes);
      await this.deps.limiter.consume(["create", "mint"], caller);
      const { record } = await this.deps.provisioner.provision(creationBy(caller, owner ?? null));
      audit.identityId = record.id;
      return this.deps.minter.mintFresh(record, scopes, minutes, audit);
    });
  }

  async issueAccessToken(
    caller: Caller,
    identityId: string,
    scopes: AcsScope[],
    expiresInMinutes?: number | null,
  ): Promise<MintedToken> {
    return this.deps.trail.audited(caller, { action: "token.issue", identityId, scopes }, async (audit) => {
      assertIdentityId(identityId);
      requireSubject(caller);
      // The request is checked against the policy before the identity is looked up, so the answer to
      // asking for too much cannot depend on whether the id exists.
      const minutes = tokenLifetime(caller, scopes, expiresInMinutes);
      const found = await this.deps.store.findById(identityId);
      const record = usableIdentity(caller, identityId, found, ["mint:any"], audit);
      if (owns(caller, record))
        requirePermission(caller, ["mint:self", "mint:any"], "Minting a token for your identity");
      else requirePermission(caller, ["mint:any"], "Minting tokens for an identity you do not own");
      return this.deps.minter.mint(caller, record, scopes, minutes, audit);
    });
  }

  /**
   * Exchanges the caller's own Teams user token (a Microsoft Entra ID access token) for an ACS token.
   * The Teams token is used once and kept nowhere: not stored, not logged, not in the audit trail.
   */
  async exchangeTeamsUserToken(caller: Caller, request: TeamsTokenRequest): Promise<TeamsToken> {
    return this.deps.trail.audited(caller, { action: "token.exchange_teams" }, async () => {
      requireSubject(caller);
      assertTeamsRequest(request);
      requirePermission(caller, ["mint:self", "mint:any"], "Exchanging your Teams token");
      assertOwnTeamsUser(caller, request);
      await this.deps.limiter.consume("mint", caller);
      return this.deps.acs.exchangeTeamsToken(request);
    });
  }
}
