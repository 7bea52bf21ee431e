// The use cases that change an identity's state: create it, revoke its tokens, delete it. Each is one
// audited story: check the request and the caller's rights, spend quota, then act through ACS and the
// store in step. Revoke and delete also drop what this process keeps about the identity (kept tokens,
// the owner cache), so nothing invalidated is handed out again.
import { owns, requirePermission, requireSubject, unknownIdentity, usableIdentity } from "./access";
import { creationBy, type Caller } from "./caller";
import type { Collaborators } from "./collaborators";
import type { IdentityRecord } from "./model";
import { forgettingKeptTokens } from "./token-reuse";
import { assertIdentityId, assertOwner } from "./validation";

type Deps = Pick<
  Collaborators,
  "acs" | "store" | "limiter" | "trail" | "provisioner" | "owners" | "tokenReuse" | "now"
>;

export class IdentityLifecycle {
  constructor(private readonly deps: Deps) {}

  /** An owned identity is got-or-created (one per owner); an ownerless one is always new. */
  async createIdentity(caller: Caller, owner?: string | null): Promise<IdentityRecord> {
    return this.deps.trail.audited(caller, { action: "identity.create" }, async (audit) => {
      requirePermission(caller, ["identity:create"], "Creating identities");
      if (owner != null) assertOwner(owner);
      await this.deps.limiter.consume("create", caller);
      const { record, created } = await this.deps.provisioner.provision(creationBy(caller, owner ?? null));
      audit.identityId = record.id;
      audit.recorded = created; // the event was stored with the identity
      return record;
    });
  }

  /** Invalidates every token issued so far for the identity. Owners may revoke their own tokens. */
  async revokeAccessTokens(caller: Caller, identityId: string): Promise<IdentityRecord> {
    const { trail, store, limiter, acs, owners, tokenReuse, now } = this.deps;
    return trail.audited(caller, { action: "token.revoke", identityId }, async (audit) => {
      assertIdentityId(identityId);
      requireSubject(caller);
      const found = await store.findById(identityId);
      const record = usableIdentity(caller, identityId, found, ["token:revoke"], audit);
      if (!owns(caller, record))
        requirePermission(caller, ["token:revoke"], "Revoking tokens of an identity you do not own");
      await limiter.consume("revoke", caller);
      await forgettingKeptTokens(tokenReuse, record.id, () => acs.revokeTokens(record.id));
      const at = now();
      await store.markTokensRevoked(record.id, at);
      owners.forget(record.owner);
      return { ...record, tokensRevokedAt: at };
    });
  }

  /**
   * Deletes the ACS identity (which also invalidates its tokens) and marks the mapping deleted.
   * The request is recorded first, so if ACS or the database fails midway, calling again (or the
   * reconciler) completes it.
   */
  async deleteIdentity(caller: Caller, identityId: string): Promise<IdentityRecord> {
    const { trail, store, limiter, acs, owners, tokenReuse, now } = this.deps;
    return trail.audited(caller, { action: "identity.delete", identityId }, async () => {
      assertIdentityId(identityId);
      requirePermission(caller, ["identity:delete"], "Deleting identities");
      // identity:delete reaches every identity, so its holders get precise answers.
      const record = await store.findById(identityId);
      if (!record) throw unknownIdentity();
      if (record.deletedAt) return record;
      await limiter.consume("delete", caller);
      await store.markDeletionRequested(record.id, now());
      // This process mints for the owner no more; other replicas learn it from ACS (see owner-cache.ts).
      owners.forget(record.owner);
      await forgettingKeptTokens(tokenReuse, record.id, () => acs.deleteIdentity(record.id));
      try {
        return await store.markDeleted(record.id, now());
      } finally {
        owners.forget(record.owner);
      }
    });
  }
}
