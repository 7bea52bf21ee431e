// The ledger of ACS creates in flight. ACS has no API to list a resource's identities, so a create is
// written down before ACS is asked and closed in the same transaction that stores its identity and its
// `identity.create` audit event: an identity whose answer was lost, or whose process died, can always
// be found again (by repeating the create with the same customId) or at least shown to an operator.
// Every method is a statement or a short transaction: no connection is held while ACS answers.
import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Selectable } from "kysely";
import type { CreationOutcome, IdentityCreation, IdentityRecord } from "../identity/model";
import type { CreationClaim, CreationLedger, NewCreation } from "../identity/ports";
import { auditRow } from "./audit-log";
import type { Database } from "./database";
import { isOwnerConflict, toRecord } from "./identity-store";

type Row = Selectable<Database["identity_creations"]>;

const date = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
// A released lease: expired at once, so a repeat or the reconciler may take the creation over.
const EXPIRED = new Date(0);

const toCreation = (row: Row): IdentityCreation => ({
  key: row.key,
  owner: row.owner,
  createdBy: row.created_by,
  requestId: row.request_id,
  operation: row.operation,
  requestedAt: date(row.requested_at),
  outcome: row.outcome as CreationOutcome,
  identityId: row.identity_id,
});

const isDuplicateKey = (error: unknown) => (error as { code?: unknown } | undefined)?.code === "23505";

export class SqlCreationLedger implements CreationLedger {
  constructor(private readonly db: Kysely<Database>) {}

  async claim(
    request: NewCreation,
    { now, leaseMs, resumeStale }: { now: Date; leaseMs: number; resumeStale: boolean },
  ): Promise<CreationClaim> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    // A few rounds at most: each one loses only to another writer that changed the owner's creation.
    for (let round = 0; round < 5; round += 1) {
      const inserted = await this.db
        .insertInto("identity_creations")
        .values({
          key: randomUUID(),
          owner: request.owner,
          created_by: request.createdBy,
          request_id: request.requestId,
          operation: request.operation,
          requested_at: now,
          lease_until: leaseUntil,
        })
        .onConflict((conflict) =>
          conflict
            .column("owner")
            .where("outcome", "=", "pending")
            .where("owner", "is not", null)
            .doNothing(),
        )
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { creation: toCreation(inserted), held: true };
      const open = await this.db
        .selectFrom("identity_creations")
        .selectAll()
        .where("owner", "=", request.owner)
        .where("outcome", "=", "pending")
        .executeTakeFirst();
      if (!open) continue; // closed meanwhile
      if (date(open.lease_until) > now) return { creation: toCreation(open), held: false };
      // A known identity (stored later) is always safe to resume: nothing is asked of ACS again.
      if (resumeStale || open.identity_id !== null) {
        // The request that finishes it is the one its audit event names.
        const resumed = await this.db
          .updateTable("identity_creations")
          .set({ lease_until: leaseUntil, request_id: request.requestId, operation: request.operation })
          .where("key", "=", open.key)
          .where("lease_until", "<=", now)
          .returningAll()
          .executeTakeFirst();
        if (resumed) return { creation: toCreation(resumed), held: true };
      } else {
        // Its create cannot be repeated safely: whatever it made stays unknown, for an operator.
        await this.db
          .updateTable("identity_creations")
          .set({ outcome: "unknown" })
          .where("key", "=", open.key)
          .where("lease_until", "<=", now)
          .execute();
      }
    }
    throw new Error("The owner's creation kept changing under this request.");
  }

  async complete(
    creation: IdentityCreation,
    id: string,
    at: Date,
  ): Promise<{ record: IdentityRecord; created: boolean } | { taken: IdentityRecord }> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const stored = await trx.selectFrom("identities").selectAll().where("id", "=", id).executeTakeFirst();
        if (stored) {
          await this.close(trx, creation.key);
          return { record: toRecord(stored), created: false };
        }
        const active = creation.owner === null ? undefined : await this.activeByOwner(trx, creation.owner);
        if (active) return { taken: toRecord(active) };
        const row = await trx
          .insertInto("identities")
          .values({ id, owner: creation.owner, created_by: creation.createdBy, created_at: at })
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx
          .insertInto("audit_events")
          .values(
            auditRow({
              at,
              actor: creation.createdBy,
              action: "identity.create",
              identityId: id,
              scopes: null,
              expiresOn: null,
              outcome: "success",
              errorCode: null,
              requestId: creation.requestId,
              operation: creation.operation,
              // Only signed-in callers may create (the core refuses anonymous ones before the ledger).
              callerKind: "subject",
            }),
          )
          .execute();
        await this.close(trx, creation.key);
        return { record: toRecord(row), created: true };
      });
    } catch (error) {
      // Another request stored the same identity (a repeat with the same customId) or the owner's
      // identity first, between our reads and our insert: read what won.
      if (!isDuplicateKey(error) && !isOwnerConflict(error)) throw error;
      const stored = await this.db
        .selectFrom("identities")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirst();
      if (stored) {
        await this.close(this.db, creation.key);
        return { record: toRecord(stored), created: false };
      }
      const active = creation.owner === null ? undefined : await this.activeByOwner(this.db, creation.owner);
      if (active) return { taken: toRecord(active) };
      throw error;
    }
  }

  async abandon(key: string): Promise<void> {
    await this.close(this.db, key);
  }

  async release(key: string, change: { outcome?: CreationOutcome; identityId?: string }): Promise<void> {
    await this.db
      .updateTable("identity_creations")
      .set({
        lease_until: EXPIRED,
        ...(change.outcome ? { outcome: change.outcome } : {}),
        // A known identity: resumed, it is stored (or, if its owner has another, deleted) without ACS.
        ...(change.identityId ? { identity_id: change.identityId } : {}),
      })
      .where("key", "=", key)
      .execute();
  }

  async claimStale({ now, leaseMs, limit }: { now: Date; leaseMs: number; limit: number }) {
    const stale = await this.db
      .selectFrom("identity_creations")
      .select("key")
      .where("outcome", "=", "pending")
      .where("lease_until", "<=", now)
      .orderBy("requested_at")
      .limit(limit)
      .execute();
    const claimed: IdentityCreation[] = [];
    for (const { key } of stale) {
      const row = await this.db
        .updateTable("identity_creations")
        .set({ lease_until: new Date(now.getTime() + leaseMs) })
        .where("key", "=", key)
        .where("outcome", "=", "pending")
        .where("lease_until", "<=", now)
        .returningAll()
        .executeTakeFirst();
      if (row) claimed.push(toCreation(row));
    }
    return claimed;
  }

  async list(limit: number): Promise<IdentityCreation[]> {
    const rows = await this.db
      .selectFrom("identity_creations")
      .selectAll()
      .orderBy("requested_at")
      .orderBy("key")
      .limit(limit)
      .execute();
    return rows.map(toCreation);
  }

  async countUnknown(): Promise<number> {
    const { count } = await this.db
      .selectFrom("identity_creations")
      .select(sql<string>`count(*)`.as("count"))
      .where("outcome", "=", "unknown")
      .executeTakeFirstOrThrow();
    return Number(count);
  }

  private async close(db: Kysely<Database>, key: string) {
    await db.deleteFrom("identity_creations").where("key", "=", key).execute();
  }

  private activeByOwner(db: Kysely<Database>, owner: string) {
    return db
      .selectFrom("identities")
      .selectAll()
      .where("owner", "=", owner)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
  }
}
