import { sql, type Kysely, type Migration } from "kysely";

// Additive: three columns on audit_events, existing rows untouched.
// - caller_kind: "subject" or "anonymous", so a subject that reads "anonymous" is told apart from an
//   anonymous caller. Null on older rows (not recorded then).
// - client_request_id: the client's own x-request-id, kept beside our request id, which is now always
//   ours.
// - count: how many identical denials an aggregated event stands for; 1 for every older row.
export const auditCallerKindClientRequestIdCount: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("audit_events")
      .addColumn("caller_kind", "text")
      .addColumn("client_request_id", "text")
      .addColumn("count", "integer", (col) => col.notNull().defaultTo(1))
      .execute();
    await sql`alter table audit_events add constraint audit_events_count_positive check (count >= 1)`.execute(
      db,
    );
  },
};
