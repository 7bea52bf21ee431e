import { sql, type ExpressionBuilder, type Kysely, type Selectable, type UpdateObject } from "kysely";
import { notFound } from "../errors";
import type { IdentityRecord, Page } from "../identity/model";
import type { IdentityStore, ListIdentitiesQuery } from "../identity/ports";
import { compileOnce, type CompiledStatement } from "./compiled";
import { decodeCursor, pageLimit, toPage } from "./cursor";
import type { Database } from "./database";

// `last_token_issue` is derived (see `identities`); rows read without it (e.g. by the creation ledger) fall back to the column.
type Row = Selectable<Database["identities"]> & { last_token_issue?: Date | string | null };

export interface ListIdentitiesOptions extends ListIdentitiesQuery {
  /** Include identities whose delete has completed (default false). */
  includeDeleted?: boolean;
}

const ONE_ACTIVE_PER_OWNER = "identities_one_active_per_owner";

const date = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
const nullableDate = (value: Date | string | null): Date | null => (value === null ? null : date(value));

export const toRecord = (row: Row): IdentityRecord => ({
  id: row.id,
  owner: row.owner,
  createdBy: row.created_by,
  createdAt: date(row.created_at),
  lastTokenIssuedAt: latest(
    nullableDate(row.last_token_issued_at),
    nullableDate(row.last_token_issue ?? null),
  ),
  tokensRevokedAt: nullableDate(row.tokens_revoked_at),
  deletionRequestedAt: nullableDate(row.deletion_requested_at),
  deletedAt: nullableDate(row.deleted_at),
});

const latest = (a: Date | null, b: Date | null): Date | null => (a && b ? (a > b ? a : b) : (a ?? b));

/**
 * The identity's latest successful token.issue audit event: lastTokenIssuedAt is derived from the audit
 * trail, so a mint writes one row (its audit event), not an update of the identity too. The column
 * `last_token_issued_at` holds what was written before that (a partial index makes this one lookup:
 * see migrations/2026-11-30-003-last-token-issue-index.ts).
 */
const lastTokenIssue = (eb: ExpressionBuilder<Database, "identities">) =>
  eb
    .selectFrom("audit_events")
    .select((sub) => sub.fn.max("audit_events.at").as("at"))
    .whereRef("audit_events.identity_id", "=", "identities.id")
    .where("audit_events.action", "=", "token.issue")
    .where("audit_events.outcome", "=", "success")
    .as("last_token_issue");

/** Every identity column, and the derived time of its last token issue. */
const identities = (db: Kysely<Database>) =>
  db.selectFrom("identities").selectAll("identities").select(lastTokenIssue);

export const isOwnerConflict = (error: unknown): boolean => {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === "23505" && constraint === ONE_ACTIVE_PER_OWNER;
};

/** Identity mappings in the SQL database (PGlite or PostgreSQL). */
export class SqlIdentityStore implements IdentityStore {
  // The mint's lookups, compiled once (see compiled.ts).
  private readonly byId: CompiledStatement<Database, string, Row>;
  private readonly activeByOwner: CompiledStatement<Database, string, Row>;

  constructor(private readonly db: Kysely<Database>) {
    this.byId = compileOnce(db, (arg) => identities(db).where("id", "=", arg()));
    this.activeByOwner = compileOnce(db, (arg) =>
      identities(db).where("owner", "=", arg()).where("deleted_at", "is", null),
    );
  }

  async findById(id: string): Promise<IdentityRecord | undefined> {
    const [row] = await this.byId.execute(this.db, id);
    return row && toRecord(row);
  }

  /** The owner's identity that is not deleted; one whose delete is only requested still counts. */
  async findActiveByOwner(owner: string): Promise<IdentityRecord | undefined> {
    const [row] = await this.activeByOwner.execute(this.db, owner);
    return row && toRecord(row);
  }

  /** One query, whatever the number of owners; owners without an active identity are absent. */
  async findActiveByOwners(owners: readonly string[]): Promise<Map<string, IdentityRecord>> {
    if (owners.length === 0) return new Map();
    const rows = await identities(this.db)
      .where("deleted_at", "is", null)
      .where("owner", "in", [...new Set(owners)])
      .execute();
    return new Map(rows.map((row) => [row.owner as string, toRecord(row)]));
  }

  /**
   * One query, whatever the number of ids; deleted identities are included, unknown ids absent, and
   * with `owner` so are other owners' (in SQL, so the answer's timing does not tell them apart).
   */
  async findByIds(ids: readonly string[], owner?: string): Promise<Map<string, IdentityRecord>> {
    if (ids.length === 0) return new Map();
    let select = identities(this.db).where("id", "in", [...new Set(ids)]);
    if (owner !== undefined) select = select.where("owner", "=", owner);
    const rows = await select.execute();
    return new Map(rows.map((row) => [row.id, toRecord(row)]));
  }

  /**
   * Oldest first, ordered by (createdAt, id), optionally one owner's. Identities whose delete has
   * completed are left out unless `includeDeleted`; those with only a requested delete are listed.
   */
  async list(query: ListIdentitiesOptions): Promise<Page<IdentityRecord>> {
    const limit = pageLimit(query.first);
    let select = identities(this.db)
      .orderBy("created_at")
      .orderBy("id")
      .limit(limit + 1);
    if (!query.includeDeleted) select = select.where("deleted_at", "is", null);
    if (query.owner != null) select = select.where("owner", "=", query.owner);
    if (query.after) {
      const after = decodeCursor("identities", query.after);
      select = select.where(({ eb, refTuple, tuple }) =>
        eb(refTuple("created_at", "id"), ">", tuple(after.at, after.id)),
      );
    }
    const rows = await select.execute();
    return toPage("identities", rows, limit, (row) => ({ at: date(row.created_at), id: row.id }), toRecord);
  }

  /** Sets tokensRevokedAt to `at` (a later revoke wins; it never moves backwards). */
  async markTokensRevoked(id: string, at: Date): Promise<void> {
    await this.update(id, { tokens_revoked_at: sql<Date>`greatest(tokens_revoked_at, ${at})` });
  }

  /** Records that a delete was asked for; the first request's time is kept. */
  async markDeletionRequested(id: string, at: Date): Promise<IdentityRecord> {
    return this.update(id, { deletion_requested_at: sql<Date>`coalesce(deletion_requested_at, ${at})` });
  }

  /** Marks the delete done (idempotent: the first time is kept); frees the owner for a new identity. */
  async markDeleted(id: string, at: Date): Promise<IdentityRecord> {
    return this.update(id, {
      deleted_at: sql<Date>`coalesce(deleted_at, ${at})`,
      deletion_requested_at: sql<Date>`coalesce(deletion_requested_at, ${at})`,
    });
  }

  /** Deletes requested before `before` and not completed, oldest request first (for the reconciler). */
  async pendingDeletes(before: Date, limit: number): Promise<IdentityRecord[]> {
    const rows = await this.db
      .selectFrom("identities")
      .selectAll()
      .where("deleted_at", "is", null)
      .where("deletion_requested_at", "<", before)
      .orderBy("deletion_requested_at")
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  private async update(id: string, values: UpdateObject<Database, "identities">): Promise<IdentityRecord> {
    const row = await this.db
      .updateTable("identities")
      .set(values)
      .where("id", "=", id)
      .returningAll("identities")
      .returning(lastTokenIssue)
      .executeTakeFirst();
    if (!row) throw notFound(`No identity ${id} is known to this service.`);
    return toRecord(row);
  }
}
