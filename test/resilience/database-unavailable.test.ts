// Which database failures are outages (SERVICE_UNAVAILABLE) and which are bugs (INTERNAL): real errors
// from `pg`, not hand-made ones.
import net from "node:net";
import type { AddressInfo } from "node:net";
import { Client, Pool } from "pg";
import { isDatabaseUnavailable } from "../../src/store";
import { describeWithPostgres } from "../support/postgres";

/** A port nothing listens on: bound, noted and released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const failure = async (run: () => Promise<unknown>) => {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
};

test("a refused connection is an outage", async () => {
  const pool = new Pool({ host: "127.0.0.1", port: await closedPort(), connectionTimeoutMillis: 2_000 });
  try {
    expect(isDatabaseUnavailable(await failure(() => pool.query("select 1")))).toBe(true);
  } finally {
    await pool.end();
  }
});

describeWithPostgres("errors from PostgreSQL itself", (database) => {
  test("a terminated session is an outage; a bad query is not", async () => {
    const client = new Client({ connectionString: database().url });
    client.on("error", () => undefined);
    await client.connect();
    try {
      expect(isDatabaseUnavailable(await failure(() => client.query("select nope from nowhere")))).toBe(
        false,
      );
      expect(
        isDatabaseUnavailable(
          await failure(() => client.query("select pg_terminate_backend(pg_backend_pid())")),
        ),
      ).toBe(true);
    } finally {
      await client.end().catch(() => undefined);
    }
  });
});
