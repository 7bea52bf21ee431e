import type { ColumnType } from "kysely";

/** `timestamptz(3)`: millisecond precision, read and written as JS Dates. */
type Timestamp = ColumnType<Date, Date, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

/** One row of `identities`: the mapping from an owner to the ACS identity made for them. */
export interface IdentitiesTable {
  /** The ACS identity id (`8:acs:...`). */
  id: string;
  owner: string | null;
  created_by: string;
  created_at: Timestamp;
  last_token_issued_at: NullableTimestamp;
  tokens_revoked_at: NullableTimestamp;
  deletion_requested_at: NullableTimestamp;
  deleted_at: NullableTimestamp;
}

/** One row of `audit_events`. There is no column that could hold a token. */
export interface AuditEventsTable {
  /** A UUIDv7, made by the writer (see uuid-v7.ts). */
  id: string;
  at: Timestamp;
  actor: string;
  action: string;
  identity_id: string | null;
  scopes: string[] | null;
  expires_on: NullableTimestamp;
  outcome: string;
  error_code: string | null;
  request_id: string | null;
  /** The API operation (`Type.field`) that acted or was refused; null for rows written before it existed. */
  operation: ColumnType<string | null, string | null | undefined, string | null>;
  /** "subject" or "anonymous"; null for rows written before it was recorded. */
  caller_kind: ColumnType<string | null, string | null | undefined, string | null>;
  /** The client's own x-request-id (sane ones only), beside our request_id. */
  client_request_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Identical denials this row stands for (aggregation); 1 otherwise. */
  count: ColumnType<number, number | undefined, number>;
}

/** One row of `identity_creations`: an ACS create in flight (see creation-ledger.ts). */
export interface IdentityCreationsTable {
  /** The customId sent to ACS: random. */
  key: string;
  owner: string | null;
  created_by: string;
  request_id: string | null;
  operation: string | null;
  requested_at: Timestamp;
  lease_until: Timestamp;
  outcome: ColumnType<string, string | undefined, string>;
  identity_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The tables, as Kysely sees them. */
export interface Database {
  identities: IdentitiesTable;
  audit_events: AuditEventsTable;
  identity_creations: IdentityCreationsTable;
}
