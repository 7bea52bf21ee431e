import { sql, type Kysely, type Migration } from "kysely";

// Brings the first tables to the shape the store reads and writes: millisecond timestamps (like the
// JS Dates written and read), audit ids as UUIDv7 made by the service (sortable with `at`, unique
// across replicas without a sequence), listing indexes on (created_at, id) and (at, id), and no
// internal `seq` column. Existing rows keep their data; old audit rows get random UUIDs (their order
// is still given by `at`).
const TIMESTAMPS = {
  identities: [
    "created_at",
    "last_token_issued_at",
    "tokens_revoked_at",
    "deletion_requested_at",
    "deleted_at",
  ],
  audit_events: ["at", "expires_on"],
} as const;

export const millisecondTimesAndUuidAuditIds: Migration = {
  async up(db: Kysely<unknown>) {
    for (const [table, columns] of Object.entries(TIMESTAMPS)) {
      for (const column of columns) {
        await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type timestamptz(3)`.execute(
          db,
        );
      }
    }

    await db.schema.alterTable("identities").dropColumn("seq").execute();
    await db.schema.dropIndex("identities_one_live_per_owner").execute();
    await db.schema
      .createIndex("identities_one_active_per_owner")
      .on("identities")
      .column("owner")
      .unique()
      .where(sql.ref("deleted_at"), "is", null)
      .where(sql.ref("owner"), "is not", null)
      .execute();
    await db.schema
      .createIndex("identities_by_creation")
      .on("identities")
      .columns(["created_at", "id"])
      .execute();
    await db.schema
      .createIndex("identities_by_owner")
      .on("identities")
      .columns(["owner", "created_at", "id"])
      .execute();

    await sql`alter table audit_events alter column id drop identity`.execute(db);
    await sql`alter table audit_events alter column id type uuid using gen_random_uuid()`.execute(db);
    await db.schema.dropIndex("audit_events_by_identity").execute();
    await db.schema.dropIndex("audit_events_by_actor").execute();
    await db.schema.createIndex("audit_events_by_time").on("audit_events").columns(["at", "id"]).execute();
    await db.schema
      .createIndex("audit_events_by_identity")
      .on("audit_events")
      .columns(["identity_id", "at", "id"])
      .execute();
    await db.schema
      .createIndex("audit_events_by_actor")
      .on("audit_events")
      .columns(["actor", "at", "id"])
      .execute();
  },
};
