import { sql, type Kysely, type Selectable } from "kysely";
import { notFound } from "../errors";
import type { IdentityRecord, NewIdentity, Page } from "../identity/model";
import type { IdentityStore, ListIdentitiesQuery } from "../identity/ports";
import { decodeCursor, pageLimit, toPage } from "./cursor";
import type { Database } from "./database";

type Row = Selectable<Database["identities"]>;

/** The owner already has a live identity (the unique index said so). */
export class OwnerTakenError extends Error {
  constructor(readonly owner: string) {
    super("the owner already has an identity");
    this.name = "OwnerTakenError";
  }
}

const toRecord = (row: Row): IdentityRecord => ({
  id: row.id,
  owner: row.owner,
  createdBy: row.created_by,
  createdAt: new Date(row.created_at),
  lastTokenIssuedAt: row.last_token_issued_at && new Date(row.last_token_issued_at),
  tokensRevokedAt: row.tokens_revoked_at && new Date(row.tokens_revoked_at),
  deletionRequestedAt: row.deletion_requested_at && new Date(row.deletion_requested_at),
  deletedAt: row.deleted_at && new Date(row.deleted_at),
});

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === "23505";

export class SqlIdentityStore implements IdentityStore {
  constructor(private readonly db: Kysely<Database>) {}

  async findById(id: string) {
    const row = await this.db.selectFrom("identities").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toRecord(row);
  }

  async findActiveByOwner(owner: string) {
    const row = await this.live(this.db).where("owner", "=", owner).executeTakeFirst();
    return row && toRecord(row);
  }

  async findActiveByOwners(owners: readonly string[]) {
    if (owners.length === 0) return new Map<string, IdentityRecord>();
    const rows = await this.live(this.db)
      .where("owner", "in", [...new Set(owners)])
      .execute();
    return new Map(rows.map((row) => [row.owner!, toRecord(row)]));
  }

  async findByIds(ids: readonly string[]) {
    if (ids.length === 0) return new Map<string, IdentityRecord>();
    const rows = await this.db
      .selectFrom("identities")
      .selectAll()
      .where("id", "in", [...new Set(ids)])
      .execute();
    return new Map(rows.map((row) => [row.id, toRecord(row)]));
  }

  /** Oldest first; deleted identities are left out. */
  async list({ first, after, owner }: ListIdentitiesQuery): Promise<Page<IdentityRecord>> {
    const limit = pageLimit(first);
    let query = this.db
      .selectFrom("identities")
      .selectAll()
      .where("deleted_at", "is", null)
      .orderBy("seq")
      .limit(limit + 1);
    if (after) query = query.where("seq", ">", decodeCursor(after));
    if (owner != null) query = query.where("owner", "=", owner);
    return toPage(await query.execute(), limit, (row) => row.seq, toRecord);
  }

  async getOrCreateForOwner(
    owner: string,
    create: () => Promise<NewIdentity>,
    discard: (id: string) => Promise<void>,
  ): Promise<{ record: IdentityRecord; created: boolean }> {
    const existing = await this.findActiveByOwner(owner);
    if (existing) return { record: existing, created: false };
    let createdId: string | undefined;
    try {
      return await this.db.transaction().execute(async (trx) => {
        // Serializes first requests for one owner across every process sharing the database.
        await sql`select pg_advisory_xact_lock(hashtextextended(${owner}, 0))`.execute(trx);
        const row = await this.live(trx).where("owner", "=", owner).executeTakeFirst();
        if (row) return { record: toRecord(row), created: false };
        const identity = await create();
        createdId = identity.id;
        const inserted = await trx
          .insertInto("identities")
          .values(this.values(identity))
          .returningAll()
          .executeTakeFirstOrThrow();
        return { record: toRecord(inserted), created: true };
      });
    } catch (error) {
      // The ACS identity exists but its mapping could not be stored: remove it, leave no orphan.
      if (createdId) await discard(createdId).catch(() => undefined);
      throw error;
    }
  }

  async insert(identity: NewIdentity) {
    try {
      return toRecord(
        await this.db
          .insertInto("identities")
          .values(this.values(identity))
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
    } catch (error) {
      if (isUniqueViolation(error) && identity.owner) throw new OwnerTakenError(identity.owner);
      throw error;
    }
  }

  async markTokenIssued(id: string, at: Date) {
    await this.db.updateTable("identities").set({ last_token_issued_at: at }).where("id", "=", id).execute();
  }

  async markTokensRevoked(id: string, at: Date) {
    await this.db.updateTable("identities").set({ tokens_revoked_at: at }).where("id", "=", id).execute();
  }

  async markDeletionRequested(id: string, at: Date) {
    const row = await this.db
      .updateTable("identities")
      .set({ deletion_requested_at: sql<Date>`coalesce(deletion_requested_at, ${at})` })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound(`No identity ${id} is known to this service.`);
    return toRecord(row);
  }

  async markDeleted(id: string, at: Date) {
    const row = await this.db
      .updateTable("identities")
      .set({
        deleted_at: sql<Date>`coalesce(deleted_at, ${at})`,
        deletion_requested_at: sql<Date>`coalesce(deletion_requested_at, ${at})`,
      })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound(`No identity ${id} is known to this service.`);
    return toRecord(row);
  }

  private live(db: Kysely<Database>) {
    return db.selectFrom("identities").selectAll().where("deleted_at", "is", null);
  }

  private values(identity: NewIdentity) {
    return {
      id: identity.id,
      owner: identity.owner,
      created_by: identity.createdBy,
      created_at: identity.createdAt,
    };
  }
}
