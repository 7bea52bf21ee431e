import { sql, type Kysely, type Migration } from "kysely";

// The ledger of ACS creates in flight (see creation-ledger.ts): a row is written before ACS is asked
// and deleted in the transaction that stores the identity, so a create whose answer was lost is never
// forgotten. Deletes in flight need no table: `identities.deletion_requested_at` already records them.
export const identityCreations: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("identity_creations")
      .addColumn("key", "text", (col) => col.primaryKey())
      .addColumn("owner", "text")
      .addColumn("created_by", "text", (col) => col.notNull())
      .addColumn("request_id", "text")
      .addColumn("operation", "text")
      .addColumn("requested_at", sql`timestamptz(3)`, (col) => col.notNull())
      .addColumn("lease_until", sql`timestamptz(3)`, (col) => col.notNull())
      .addColumn("outcome", "text", (col) => col.notNull().defaultTo("pending"))
      .addColumn("identity_id", "text")
      .execute();
    // One open create per owner: the service's per-owner exclusivity, with no connection held.
    await sql`create unique index identity_creations_one_pending_per_owner on identity_creations (owner) where outcome = 'pending' and owner is not null`.execute(
      db,
    );
    await db.schema
      .createIndex("identity_creations_by_lease")
      .on("identity_creations")
      .column("lease_until")
      .execute();
    // The reconciler's other query: deletes requested and not done.
    await sql`create index identities_pending_deletes on identities (deletion_requested_at) where deleted_at is null and deletion_requested_at is not null`.execute(
      db,
    );
  },
};
