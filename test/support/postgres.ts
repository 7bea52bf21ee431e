// PostgreSQL for tests. Every caller gets its own freshly created schema and a postgres:// URL whose
// connections use it (search_path set in the URL's `options`, which `pg` and libpq clients such as
// psql both honour), so test files and replicas never see each other's tables. Cleanup drops it.
//
// The server: DATABASE_URL_TEST, else postgres://postgres@127.0.0.1:5432/test. When it is unreachable,
// tests that need it FAIL if CI=true, and elsewhere are skipped with a console message naming them.
//
//   describeWithPostgres("my feature", (database) => {        // jest reports these as skipped
//     test("...", async () => { connect(database().url) });    // when PostgreSQL is unreachable
//   });
//
//   const postgres = postgresForTests();                       // or by hand, in your own hooks:
//   const database = await postgres.setup();                   // undefined = skipped (logged)
//   ... afterAll(() => postgres.cleanup());
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Client } from "pg";

export const POSTGRES_TEST_URL = process.env.DATABASE_URL_TEST ?? "postgres://postgres@127.0.0.1:5432/test";

const inCi = () => process.env.CI === "true";

/** One freshly created schema. */
export interface TestDatabase {
  /** A postgres:// URL for the test server whose connections use `schema`. */
  url: string;
  schema: string;
  /** Drops the schema and everything in it. Idempotent. */
  cleanup(): Promise<void>;
}

/** The URL without its password, for messages. */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparsable DATABASE_URL_TEST)";
  }
}

function unreachable(reason: string): Error {
  return new Error(`PostgreSQL is required in CI but ${shown(POSTGRES_TEST_URL)} is unreachable: ${reason}`);
}

/** `base` with `-c search_path=<schema>` added to its `options` (percent-encoded: libpq reads no `+`). */
export function urlWithSchema(base: string, schema: string): string {
  const url = new URL(base);
  const options = [url.searchParams.get("options"), `-c search_path=${schema}`].filter(Boolean).join(" ");
  url.searchParams.delete("options");
  const rest = url.toString();
  return `${rest}${url.search ? "&" : "?"}options=${encodeURIComponent(options)}`;
}

let probed: { reachable: boolean; reason: string } | undefined;

/**
 * Whether the test server answers, checked once per test file, synchronously (in a child process) so
 * that it can decide between `describe` and `describe.skip`. Throws when unreachable and CI=true.
 */
export function postgresReachable(): boolean {
  if (!probed) {
    const script = `
      const { Client } = require(${JSON.stringify(require.resolve("pg"))});
      const client = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
      client.connect().then(() => client.query("select 1")).then(() => client.end()).then(
        () => process.exit(0),
        (error) => { process.stderr.write(String((error && error.message) || error)); process.exit(1); });`;
    const result = spawnSync(process.execPath, ["-e", script, POSTGRES_TEST_URL], {
      encoding: "utf8",
      timeout: 10_000,
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    probed =
      result.status === 0
        ? { reachable: true, reason: "" }
        : { reachable: false, reason: result.stderr.trim() || result.error?.message || "no answer" };
  }
  if (!probed.reachable && inCi()) throw unreachable(probed.reason);
  return probed.reachable;
}

export function logSkipped(what: string, reason = probed?.reason ?? "unreachable"): void {
  console.warn(`SKIPPED (no PostgreSQL at ${shown(POSTGRES_TEST_URL)}: ${reason}): ${what}`);
}

const sanitize = (prefix: string) =>
  prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .slice(0, 20) || "t";

/**
 * Creates a fresh schema named `<prefix>_test_<random>`. Resolves undefined when the server is
 * unreachable outside CI (the caller reports the skip); rejects when unreachable in CI.
 */
export async function createTestDatabase(prefix = "t"): Promise<TestDatabase | undefined> {
  const client = new Client({ connectionString: POSTGRES_TEST_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    if (inCi()) throw unreachable((error as Error).message);
    return undefined;
  }
  const schema = `${sanitize(prefix)}_test_${randomBytes(6).toString("hex")}`;
  try {
    await client.query(`create schema "${schema}"`);
  } finally {
    await client.end();
  }
  let dropped: Promise<void> | undefined;
  return {
    url: urlWithSchema(POSTGRES_TEST_URL, schema),
    schema,
    cleanup: () =>
      (dropped ??= (async () => {
        const admin = new Client({ connectionString: POSTGRES_TEST_URL, connectionTimeoutMillis: 3000 });
        await admin.connect();
        try {
          await admin.query(`drop schema if exists "${schema}" cascade`);
        } finally {
          await admin.end();
        }
      })()),
  };
}

/**
 * A `describe` whose tests get a fresh schema (created before them, dropped after them). When the
 * server is unreachable: outside CI the block is `describe.skip` (jest counts its tests as skipped)
 * and a message says so; with CI=true defining the block throws, failing the file.
 */
export function describeWithPostgres(
  title: string,
  body: (database: () => TestDatabase) => void,
  prefix = "t",
): void {
  if (!postgresReachable()) {
    logSkipped(title);
    describe.skip(title, () => body(() => undefined as never));
    return;
  }
  describe(title, () => {
    let database: TestDatabase | undefined;
    beforeAll(async () => {
      database = await createTestDatabase(prefix);
      if (!database) throw new Error(`PostgreSQL at ${shown(POSTGRES_TEST_URL)} stopped answering`);
    });
    body(() => {
      if (!database) throw new Error("the test schema is made in beforeAll; use it inside tests and hooks");
      return database;
    });
    // Registered after the body's hooks, so it runs after them: services using the schema stop first.
    afterAll(async () => {
      await database?.cleanup();
    });
  });
}

/**
 * The hand-driven form: `setup()` makes one more fresh schema (undefined when skipped outside CI),
 * `skipped(what)` logs a skip, `cleanup()` drops every schema this handle made.
 */
export function postgresForTests(prefix = "t") {
  const made: TestDatabase[] = [];
  return {
    async setup(): Promise<TestDatabase | undefined> {
      const database = await createTestDatabase(prefix);
      if (database) made.push(database);
      return database;
    },
    skipped(what: string) {
      logSkipped(what, "unreachable");
    },
    async cleanup() {
      await Promise.all(made.splice(0).map((database) => database.cleanup()));
    },
  };
}
