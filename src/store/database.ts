import type { ColumnType, Generated } from "kysely";

type Timestamp = ColumnType<Date, Date, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

/** The tables, as Kysely sees them. Tokens have no column anywhere. */
export interface Database {
  identities: {
    /** Insertion order, for stable cursors. */
    seq: Generated<string>;
    id: string;
    owner: string | null;
    created_by: string;
    created_at: Timestamp;
    last_token_issued_at: NullableTimestamp;
    tokens_revoked_at: NullableTimestamp;
    deletion_requested_at: NullableTimestamp;
    deleted_at: NullableTimestamp;
  };
  audit_events: {
    id: Generated<string>;
    at: Timestamp;
    actor: string;
    action: string;
    identity_id: string | null;
    scopes: string[] | null;
    expires_on: NullableTimestamp;
    outcome: string;
    error_code: string | null;
    request_id: string | null;
  };
}
