// The store owns the service's persistent data: the identity mappings and the audit log, their SQL
// schema (Kysely migrations, run at open) and the two drivers of the one SQL dialect (PostgreSQL):
// embedded PGlite (WASM; data in a folder, or in memory) and a PostgreSQL server through `pg`.
// It implements the `IdentityStore` and `AuditLog` ports of the identity core.
// May import: src/identity/model, src/identity/ports, src/errors (and kysely, pg, PGlite). Nothing
// else in src/ imports from here except the composition root (src/server).
import { sql, type Kysely } from "kysely";
import type { AuditLog } from "../identity/ports";
import { SqlAuditLog } from "./audit-log";
import { openDatabase, type DatabaseSettings } from "./connect";
import { SqlCreationLedger } from "./creation-ledger";
import type { Database } from "./database";
import { SqlIdentityStore } from "./identity-store";

export type { DatabaseSettings } from "./connect";
export { isDatabaseUnavailable } from "./unavailable";

export interface Store {
  /** An `IdentityStore`, whose `list` also takes `includeDeleted`. */
  identities: SqlIdentityStore;
  audit: AuditLog;
  /** ACS creates in flight (see creation-ledger.ts). */
  creations: SqlCreationLedger;
  db: Kysely<Database>;
  /** Readiness: does the database answer? */
  ping(): Promise<void>;
  /** Closes the pool (or the embedded database). Idempotent. */
  close(): Promise<void>;
}

/** Opens the database named by the settings, migrates it, and returns the repositories on it. */
export async function openStore(settings: DatabaseSettings): Promise<Store> {
  const db = await openDatabase(settings);
  let closing: Promise<void> | undefined;
  return {
    identities: new SqlIdentityStore(db),
    audit: new SqlAuditLog(db),
    creations: new SqlCreationLedger(db),
    db,
    async ping() {
      await sql`select 1`.execute(db);
    },
    close: () => (closing ??= db.destroy()),
  };
}
