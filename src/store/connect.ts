import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import { mkdirSync } from "node:fs";
import { Pool } from "pg";
import type { Database } from "./database";
import { migrationProvider } from "./migrations";

export type DatabaseSettings =
  { kind: "embedded"; dir: string } | { kind: "postgres"; url: string; poolSize: number };

/** `dir: "memory://"` keeps the embedded database in memory (tests). */
export const IN_MEMORY = "memory://";

/**
 * Opens the database and brings its schema up to date. The embedded driver serializes its single
 * connection, so a transaction holds it exclusively and concurrent callers queue.
 */
export async function openDatabase(settings: DatabaseSettings): Promise<Kysely<Database>> {
  let db: Kysely<Database>;
  if (settings.kind === "embedded") {
    if (settings.dir !== IN_MEMORY) mkdirSync(settings.dir, { recursive: true });
    const pglite = settings.dir === IN_MEMORY ? new PGlite() : new PGlite(settings.dir);
    db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  } else {
    const pool = new Pool({ connectionString: settings.url, max: settings.poolSize });
    // An idle client's network error would otherwise crash the process; the next query reconnects.
    pool.on("error", () => undefined);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

// Any constant: it names "this service's migrations" among the database's advisory locks.
const MIGRATION_LOCK = 7_402_113_901;

async function migrate(db: Kysely<Database>): Promise<void> {
  // Replicas starting together would race creating Kysely's own bookkeeping tables, so one
  // connection holds a session lock for the whole migration and the others wait their turn.
  const { error, results } = await db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(connection);
    try {
      // Kysely looks for its bookkeeping tables in every schema unless told which one is ours.
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(connection);
      return await new Migrator({
        db: connection,
        provider: migrationProvider,
        migrationTableSchema: rows[0].schema,
      }).migrateToLatest();
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(connection);
    }
  });
  if (error) {
    const failed = results?.find((result) => result.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`);
  }
}
