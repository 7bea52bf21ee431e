// The store: Kysely migrations and repositories on one SQL dialect (PostgreSQL), either embedded
// (PGlite, WASM, data in a folder) or a PostgreSQL server. May import: identity/model, identity/ports, errors.
import { sql, type Kysely } from "kysely";
import type { AuditLog, IdentityStore } from "../identity/ports";
import { SqlAuditLog } from "./audit-log";
import { openDatabase, type DatabaseSettings } from "./connect";
import type { Database } from "./database";
import { SqlIdentityStore } from "./identity-store";

export { IN_MEMORY, type DatabaseSettings } from "./connect";
export { OwnerTakenError } from "./identity-store";
export type { Database } from "./database";

export interface Store {
  identities: IdentityStore;
  audit: AuditLog;
  db: Kysely<Database>;
  /** Readiness: does the database answer? */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openStore(settings: DatabaseSettings): Promise<Store> {
  const db = await openDatabase(settings);
  return {
    identities: new SqlIdentityStore(db),
    audit: new SqlAuditLog(db),
    db,
    async ping() {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
