import type { Kysely, Migration } from "kysely";

// Audit events name the API operation (`Type.field`) that acted or was refused. The action alone
// cannot tell `issueMyAccessToken` from `issueAccessToken`, and refusals by the schema's guard happen
// before any domain action starts. Nullable: rows written before this migration have none.
export const auditOperation: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("audit_events").addColumn("operation", "text").execute();
  },
};
