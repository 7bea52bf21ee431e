// The read use cases: identities and the audit trail, each as far as the caller may see. They change
// nothing and spend no quota; a refused read is recorded as a denial.
import { ErrorCode } from "../errors";
import { maySee, requireSubject } from "./access";
import type { Caller } from "./caller";
import type { Collaborators } from "./collaborators";
import type { AuditEvent, IdentityRecord, Page } from "./model";
import type { ListAuditQuery, ListIdentitiesQuery } from "./ports";
import {
  assertCursor,
  assertIdentityId,
  assertOwner,
  assertPageSize,
  isIdentityId,
  isSubject,
} from "./validation";

type Deps = Pick<Collaborators, "store" | "audit" | "trail">;

export class IdentityQueries {
  constructor(private readonly deps: Deps) {}

  async myIdentity(caller: Caller): Promise<IdentityRecord | null> {
    return (await this.deps.store.findActiveByOwner(requireSubject(caller))) ?? null;
  }

  /**
   * The identity, if the caller owns it or may read any identity; null otherwise. Someone else's
   * identity answers null like an unknown id (no oracle), and the attempt is recorded as a denial.
   */
  async identity(caller: Caller, identityId: string): Promise<IdentityRecord | null> {
    assertIdentityId(identityId, "id");
    requireSubject(caller);
    const record = await this.deps.store.findById(identityId);
    if (maySee(caller, record, [])) return record ?? null;
    await this.deps.trail.recordDenial(caller, {
      action: "identity.read",
      identityId,
      errorCode: record ? ErrorCode.FORBIDDEN : ErrorCode.NOT_FOUND,
    });
    return null;
  }

  async identities(caller: Caller, query: ListIdentitiesQuery): Promise<Page<IdentityRecord>> {
    await this.deps.trail.authorize(caller, ["identity:read"], "Listing identities", "identity.list");
    assertPageSize(query.first);
    assertCursor(query.after);
    if (query.owner != null) assertOwner(query.owner);
    return this.deps.store.list(query);
  }

  async auditEvents(caller: Caller, query: ListAuditQuery): Promise<Page<AuditEvent>> {
    await this.deps.trail.authorize(caller, ["audit:read"], "Reading the audit log", "audit.read");
    assertPageSize(query.first);
    assertCursor(query.after);
    if (query.identityId != null) assertIdentityId(query.identityId);
    if (query.actor != null) assertOwner(query.actor, "actor");
    return this.deps.audit.list(query);
  }

  /** Batch lookup for federation: owners' active identities, visible to the caller only. */
  async identitiesOfOwners(caller: Caller, owners: readonly string[]): Promise<Map<string, IdentityRecord>> {
    requireSubject(caller);
    const readAll = caller.effective.permissions.has("identity:read");
    // Only valid subjects reach the store: the driver would turn an unpaired surrogate into U+FFFD.
    const valid = owners.filter(isSubject);
    const visible = readAll ? valid : valid.filter((owner) => owner === caller.subject);
    return visible.length ? this.deps.store.findActiveByOwners(visible) : new Map();
  }

  /** Batch lookup for federation `_entities`: identities the caller may read. */
  async identitiesByIds(caller: Caller, ids: readonly string[]): Promise<Map<string, IdentityRecord>> {
    const subject = requireSubject(caller);
    // Without identity:read only the caller's own are visible: filtered in SQL, so timing hides the rest.
    return this.deps.store.findByIds(
      ids.filter(isIdentityId),
      caller.effective.permissions.has("identity:read") ? undefined : subject,
    );
  }
}
