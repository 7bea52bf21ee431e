import { sql, type Kysely, type Migration } from "kysely";

// An identity's lastTokenIssuedAt is now derived from the audit trail (its latest successful
// token.issue event) instead of being updated on every mint, so that a mint writes one row. This
// partial index makes that lookup one index probe per identity, however long its trail.
export const lastTokenIssueIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex("audit_events_last_token_issue")
      .on("audit_events")
      .columns(["identity_id", "at"])
      .where(sql.ref("action"), "=", "token.issue")
      .where(sql.ref("outcome"), "=", "success")
      .execute();
  },
};
