import { sql, type Kysely, type Migration } from "kysely";

// Shipped first: the tables as they were created by the earliest databases. Never edit it; the next
// migration brings such a database to the current shape.
export const identitiesAndAudit: Migration = {
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
};
