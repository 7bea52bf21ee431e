// A fresh PostgreSQL schema per server for the PostgreSQL round, dropped afterwards (as the tests do:
// test/support/postgres.ts). The server: BENCH_DATABASE_URL, else the tests' DATABASE_URL_TEST, else the
// local test database.
import { randomBytes } from "node:crypto";
import { Client } from "pg";

const BASE_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.DATABASE_URL_TEST ??
  "postgres://postgres@127.0.0.1:5432/test";

export interface BenchSchema {
  /** A postgres:// URL whose connections use the schema (search_path in the URL's `options`). */
  url: string;
  drop(): Promise<void>;
}

/** `base` with `-c search_path=<schema>` added to its `options` (percent-encoded: libpq reads no `+`). */
function urlWithSchema(base: string, schema: string): string {
  const url = new URL(base);
  const options = [url.searchParams.get("options"), `-c search_path=${schema}`].filter(Boolean).join(" ");
  url.searchParams.delete("options");
  const rest = url.toString();
  return `${rest}${url.search ? "&" : "?"}options=${encodeURIComponent(options)}`;
}

async function withClient<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: BASE_URL, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Why PostgreSQL cannot be used, or undefined when it answers. */
export async function postgresUnavailable(): Promise<string | undefined> {
  try {
    await withClient((client) => client.query("select 1"));
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export async function createSchema(purpose: string): Promise<BenchSchema> {
  const schema = `bench_${purpose}_${randomBytes(4).toString("hex")}`;
  await withClient((client) => client.query(`create schema ${schema}`));
  return {
    url: urlWithSchema(BASE_URL, schema),
    drop: () =>
      withClient((client) => client.query(`drop schema if exists ${schema} cascade`)).then(() => undefined),
  };
}
