import { sql, type Kysely, type Migration, type MigrationProvider } from "kysely";

// Migrations are code, ordered by name, and run on both the embedded database and PostgreSQL.
// Never edit one that has shipped: add the next.
const migrations: Record<string, Migration> = {
  "2026-11-24-001-identities-and-audit": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("identities")
        .addColumn("seq", "bigint", (col) => col.generatedAlwaysAsIdentity().notNull().unique())
        .addColumn("id", "text", (col) => col.primaryKey())
        .addColumn("owner", "text")
        .addColumn("created_by", "text", (col) => col.notNull())
        .addColumn("created_at", "timestamptz", (col) => col.notNull())
        .addColumn("last_token_issued_at", "timestamptz")
        .addColumn("tokens_revoked_at", "timestamptz")
        .addColumn("deletion_requested_at", "timestamptz")
        .addColumn("deleted_at", "timestamptz")
        .execute();
      // At most one live identity per owner: the backstop behind the per-owner lock.
      await sql`create unique index identities_one_live_per_owner on identities (owner) where deleted_at is null and owner is not null`.execute(
        db,
      );

      await db.schema
        .createTable("audit_events")
        .addColumn("id", "bigint", (col) => col.generatedAlwaysAsIdentity().primaryKey())
        .addColumn("at", "timestamptz", (col) => col.notNull())
        .addColumn("actor", "text", (col) => col.notNull())
        .addColumn("action", "text", (col) => col.notNull())
        .addColumn("identity_id", "text")
        .addColumn("scopes", sql`text[]`)
        .addColumn("expires_on", "timestamptz")
        .addColumn("outcome", "text", (col) => col.notNull())
        .addColumn("error_code", "text")
        .addColumn("request_id", "text")
        .execute();
      await db.schema
        .createIndex("audit_events_by_identity")
        .on("audit_events")
        .columns(["identity_id", "id"])
        .execute();
      await db.schema
        .createIndex("audit_events_by_actor")
        .on("audit_events")
        .columns(["actor", "id"])
        .execute();
    },
  },
};

export const migrationProvider: MigrationProvider = { getMigrations: async () => migrations };
