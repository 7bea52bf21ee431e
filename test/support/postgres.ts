// PostgreSQL for tests, each caller in its own fresh schema. With CI=true an unreachable server fails
// the suite; elsewhere the tests that need it say they skipped.
import { randomBytes } from "node:crypto";
import { Client } from "pg";

const BASE_URL = process.env.DATABASE_URL_TEST ?? "postgres://postgres@127.0.0.1:5432/test";

export function postgresForTests() {
  let schema: string | undefined;
  return {
    /** A URL whose connections use a new, empty schema; undefined when PostgreSQL is unreachable outside CI. */
    async setup(): Promise<{ url: string; schema: string } | undefined> {
      const client = new Client({ connectionString: BASE_URL, connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
      } catch (error) {
        if (process.env.CI === "true")
          throw new Error(
            `PostgreSQL is required in CI but ${BASE_URL} is unreachable: ${(error as Error).message}`,
          );
        return undefined;
      }
      try {
        schema = `t_${randomBytes(6).toString("hex")}`;
        await client.query(`create schema ${schema}`);
      } finally {
        await client.end();
      }
      const url = new URL(BASE_URL);
      url.searchParams.set("options", `-c search_path=${schema}`);
      return { url: url.toString(), schema };
    },
    skipped(what: string) {
      console.warn(`SKIPPED (no PostgreSQL at ${BASE_URL}): ${what}`);
    },
    async cleanup() {
      if (!schema) return;
      const client = new Client({ connectionString: BASE_URL });
      await client.connect();
      try {
        await client.query(`drop schema ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
