// The ledger of ACS creates in flight. ACS has no API to list a resource's identities, so a create is
// written down before ACS is asked and closed in the same transaction that stores its identity and its
// `identity.create` audit event: an identity whose answer was lost, or whose process died, can always
// be found again (by repeating the create with the same customId) or at least shown to an operator.
// Every method is a statement or a short transaction: no connection is held while ACS answers.
import { randomUUID } from "node:crypto";
import { sql, type Insertable, type Kysely, type Selectable } from "kysely";
import type { CreationOutcome, IdentityCreation, IdentityRecord } from "../identity/model";
import type { CreationClaim, CreationLedger, NewCreation } from "../identity/ports";
import { auditRow, compileAuditInsert } from "./audit-log";
import { compileOnce, type CompiledStatement } from "./compiled";
import type { Database } from "./database";
import { isOwnerConflict, toRecord } from "./identity-store";

type Row = Selectable<Database["identity_creations"]>;
type IdentityRow = Selectable<Database["identities"]>;

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

type NewCreationRow = Insertable<Database["identity_creations"]>;

export class SqlCreationLedger implements CreationLedger {
  // The statements of a first mint, compiled once (see compiled.ts); the rarer ones are built per call.
  private readonly insertCreation: CompiledStatement<Database, NewCreationRow, Row>;
  private readonly openByOwner: CompiledStatement<Database, string | null, Row>;
  private readonly identityById: CompiledStatement<Database, string, IdentityRow>;
  private readonly activeByOwner: CompiledStatement<Database, string, IdentityRow>;
  private readonly insertIdentity: CompiledStatement<
    Database,
    Insertable<Database["identities"]>,
    IdentityRow
  >;
  private readonly insertEvent: ReturnType<typeof compileAuditInsert>;
  private readonly closeByKey: CompiledStatement<Database, string, unknown>;

  constructor(private readonly db: Kysely<Database>) {
    this.insertCreation = compileOnce(db, (arg) =>
      db
        .insertInto("identity_creations")
        .values({
          key: arg((row) => row.key),
          owner: arg((row) => row.owner),
          created_by: arg((row) => row.created_by),
          request_id: arg((row) => row.request_id),
          operation: arg((row) => row.operation),
          requested_at: arg((row) => row.requested_at),
          lease_until: arg((row) => row.lease_until),
        })
        .onConflict((conflict) =>
          conflict
            .column("owner")
            .where("outcome", "=", "pending")
            .where("owner", "is not", null)
            .doNothing(),
        )
        .returningAll(),
    );
    this.openByOwner = compileOnce(db, (arg) =>
      db
        .selectFrom("identity_creations")
        .selectAll()
        .where("owner", "=", arg())
        .where("outcome", "=", "pending"),
    );
    this.identityById = compileOnce(db, (arg) =>
      db.selectFrom("identities").selectAll().where("id", "=", arg()),
    );
    this.activeByOwner = compileOnce(db, (arg) =>
      db.selectFrom("identities").selectAll().where("owner", "=", arg()).where("deleted_at", "is", null),
    );
    this.insertIdentity = compileOnce(db, (arg) =>
      db
        .insertInto("identities")
        .values({
          id: arg((row) => row.id),
          owner: arg((row) => row.owner),
          created_by: arg((row) => row.created_by),
          created_at: arg((row) => row.created_at),
        })
        .returningAll(),
    );
    this.insertEvent = compileAuditInsert(db, 1);
    this.closeByKey = compileOnce(db, (arg) => db.deleteFrom("identity_creations").where("key", "=", arg()));
  }

  async claim(
    request: NewCreation,
    { now, leaseMs, resumeStale }: { now: Date; leaseMs: number; resumeStale: boolean },
  ): Promise<CreationClaim> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    // A few rounds at most: each one loses only to another writer that changed the owner's creation.
    for (let round = 0; round < 5; round += 1) {
      const [inserted] = await this.insertCreation.execute(this.db, {
        key: randomUUID(),
        owner: request.owner,
        created_by: request.createdBy,
        request_id: request.requestId,
        operation: request.operation,
        requested_at: now,
        lease_until: leaseUntil,
      });
      if (inserted) return { creation: toCreation(inserted), held: true };
      const [open] = await this.openByOwner.execute(this.db, request.owner);
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
        const [stored] = await this.identityById.execute(trx, id);
        if (stored) {
          await this.close(trx, creation.key);
          return { record: toRecord(stored), created: false };
        }
        const [active] = creation.owner === null ? [] : await this.activeByOwner.execute(trx, creation.owner);
        if (active) return { taken: toRecord(active) };
        const [row] = await this.insertIdentity.execute(trx, {
          id,
          owner: creation.owner,
          created_by: creation.createdBy,
          created_at: at,
        });
        await this.insertEvent.execute(trx, [
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
        ]);
        await this.close(trx, creation.key);
        return { record: toRecord(row), created: true };
      });
    } catch (error) {
      // Another request stored the same identity (a repeat with the same customId) or the owner's
      // identity first, between our reads and our insert: read what won.
      if (!isDuplicateKey(error) && !isOwnerConflict(error)) throw error;
      const [stored] = await this.identityById.execute(this.db, id);
      if (stored) {
        await this.close(this.db, creation.key);
        return { record: toRecord(stored), created: false };
      }
      const [active] =
        creation.owner === null ? [] : await this.activeByOwner.execute(this.db, creation.owner);
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
    await this.closeByKey.execute(db, key);
  }
}
