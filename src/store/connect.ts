import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator, PostgresDialect, sql, type Dialect } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { Pool } from "pg";
import type { Database } from "./database";
import { lockDirectory } from "./dir-lock";
import { migrationProvider } from "./migrations";

/** Where the data lives: an embedded PGlite (a folder, or `memory://`) or a PostgreSQL server. */
export type DatabaseSettings =
  | { kind: "embedded"; dir: string }
  | {
      kind: "postgres";
      url: string;
      poolSize: number;
      /** The longest any statement may run (server side) or wait for its answer (client side); default 10 s. */
      statementTimeoutMs?: number;
      /** The longest wait for a free pool connection; default 10 s. */
      acquireTimeoutMs?: number;
    };

/** `dir: "memory://"` keeps the embedded database in memory (tests). */
export const IN_MEMORY = "memory://";

/**
 * Opens the database and brings its schema up to date (see `migrate`).
 *
 * Embedded: one PGlite instance, which is a single connection. `kysely-pglite-dialect` hands that
 * connection to one Kysely caller at a time (`acquireConnection` queues until the previous holder
 * releases it), and Kysely holds it for a whole transaction, so concurrent callers queue (FIFO) rather
 * than interleave statements inside another caller's transaction. Nothing else may use the PGlite.
 * A folder is opened by one process at a time (`<dir>.lock`, see dir-lock.ts).
 *
 * PostgreSQL: a `pg` pool of `poolSize` connections.
 */
export async function openDatabase(settings: DatabaseSettings): Promise<Kysely<Database>> {
  const db = settings.kind === "embedded" ? await openEmbedded(settings.dir) : openPostgres(settings);
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

/**
 * PostgreSQL's own default of 128 MB shared buffers is most of PGlite's memory, and PGlite touches all
 * of it at start. This service's hot set (identity mappings, the newest audit rows) is a few MB, and
 * colder pages are still in the OS page cache; 16 MB saves about 110 MB of every start. Given on every
 * start, so existing data folders follow it.
 */
export const EMBEDDED_SHARED_BUFFERS = "16MB";
const startParams = [...PGlite.defaultStartParams, "-c", `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`];

async function openEmbedded(dir: string): Promise<Kysely<Database>> {
  if (dir === IN_MEMORY) {
    return new Kysely<Database>({ dialect: new PGliteDialect(await PGlite.create({ startParams })) });
  }
  const absolute = path.resolve(dir);
  mkdirSync(absolute, { recursive: true });
  const unlock = lockDirectory(absolute);
  try {
    if (!existsSync(path.join(absolute, "PG_VERSION"))) await initializeInChildProcess(absolute);
    const pglite = await PGlite.create(absolute, { startParams });
    return new Kysely<Database>({ dialect: afterDestroy(new PGliteDialect(pglite), unlock) });
  } catch (error) {
    unlock();
    throw error;
  }
}

/**
 * Creates a new database folder (initdb) in a child process. PGlite's initdb runs a second PostgreSQL
 * instance, a copy of its heap and a tarball of the new cluster: some 500 MB that, in this process,
 * would stay resident long after start-up (nothing prompts the garbage collector in an idle service,
 * and a worker thread's freed memory mostly stays with the process). A child's is returned when it exits.
 */
async function initializeInChildProcess(dir: string): Promise<void> {
  const script = `const [pglite, dir, params] = process.argv.slice(1);
    require(pglite).PGlite.create(dir, { startParams: JSON.parse(params) }).then((db) => db.close());`;
  const child = spawn(
    process.execPath,
    ["-e", script, require.resolve("@electric-sql/pglite"), dir, JSON.stringify(startParams)],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(`creating the embedded database in ${dir} failed (exit ${code}): ${stderr.trim()}`),
          ),
    );
  });
}

/** The dialect, with `after` run once its driver has been destroyed (`Kysely.destroy()`). */
function afterDestroy(dialect: Dialect, after: () => void): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => {
      const driver = dialect.createDriver();
      const destroy = driver.destroy.bind(driver);
      driver.destroy = async () => {
        try {
          await destroy();
        } finally {
          after();
        }
      };
      return driver;
    },
  };
}

function openPostgres(settings: Extract<DatabaseSettings, { kind: "postgres" }>): Kysely<Database> {
  const statementTimeoutMs = settings.statementTimeoutMs ?? 10_000;
  const pool = new Pool({
    connectionString: settings.url,
    max: settings.poolSize,
    // Fail rather than hang when the server cannot be reached or no connection frees up.
    connectionTimeoutMillis: settings.acquireTimeoutMs ?? 10_000,
    // Every statement is bounded: by the server (which cancels it) and, should the server or the
    // network stall, by the client, a little later.
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 1_000,
    // A transaction left open (a bug, a stalled caller) cannot hold its locks for long.
    idle_in_transaction_session_timeout: statementTimeoutMs,
    application_name: "acs-identity-graph",
  });
  // A connection that fails (network, server restart, a timeout ending the session) emits "error";
  // unheard, that would crash the process. Idle ones are heard by the pool; checked-out ones by this
  // listener. Either way the pool drops the broken connection and later queries use a new one, while
  // the query in flight, if any, fails on its own.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Applies pending migrations. Replicas starting at once do not collide: Kysely's Postgres adapter
 * (also used for PGlite) takes a session `pg_advisory_lock` on one connection and runs the pending
 * migrations in one transaction under it, re-reading what has run once it holds the lock. Creating
 * Kysely's own bookkeeping tables happens before that lock, but Kysely tolerates losing that race
 * (it re-checks after a failed `create table if not exists`).
 */
export async function migrate(db: Kysely<Database>): Promise<void> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one is ours; another
  // schema's tables (another app's, another test's) would fool it.
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) {
    throw new Error("database migration failed: no schema on the search_path exists (create it first)");
  }
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema: schema });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely's check for its bookkeeping tables reads the catalogue of every schema in the database and
  // fails (3F000) when another session drops some other schema mid-query: another app's, or another
  // replica's tests. Nothing of ours was touched, so that check is simply run again.
  for (let retry = 1; retry <= 5 && error && droppedMeanwhile(error, schema); retry += 1)
    ({ error, results } = await migrator.migrateToLatest());
  if (error) {
    const failed = results?.find((result) => result.status === "Error")?.migrationName;
    let message = error instanceof Error ? error.message : String(error);
    if (message.includes("corrupted migrations")) {
      message += " (the database was made by another version of this service)";
    }
    throw new Error(`database migration${failed ? ` ${failed}` : ""} failed: ${message}`, { cause: error });
  }
}

/** PostgreSQL's "schema does not exist" (3F000) naming a schema that is not ours. */
function droppedMeanwhile(error: unknown, ours: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === "3F000" && typeof message === "string" && !message.includes(`schema "${ours}" does not exist`)
  );
}
