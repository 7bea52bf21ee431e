// The store on PostgreSQL: the shared contract in a fresh schema, and several replicas (separate
// pools) sharing one database: they migrate at once without colliding. (Concurrent first mints across
// replicas: test/api/concurrency.test.ts.)
import { migrations } from "../../src/store/migrations";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool, type PoolClient } from "pg";
import { openStore, type Store } from "../../src/store";
import { migrate } from "../../src/store/connect";
import type { Database } from "../../src/store/database";
import { describeWithPostgres } from "../support/postgres";
import { ownerName, storeContract } from "../support/store-contract";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

// Tests here start services (or emulators, or child processes) of their own.
jest.setTimeout(SERVICE_START_TIMEOUT_MS);

describeWithPostgres(
  "PostgreSQL",
  (database) => {
    let store: Store;
    beforeAll(async () => {
      store = await openStore({ kind: "postgres", url: database().url, poolSize: 5 });
    }, SERVICE_START_TIMEOUT_MS);
    afterAll(() => store?.close());

    storeContract(() => store);

    test("the tables are made in the test's own schema", async () => {
      const { rows } = await sql<{ schema: string }>`
        select table_schema as schema from information_schema.tables
        where table_name in ('identities', 'audit_events', 'kysely_migration')`.execute(store.db);
      expect(rows.filter((r) => r.schema === database().schema)).toHaveLength(3);
    });

    test("an audit event is visible to another connection as soon as record resolves", async () => {
      const other = await openStore({ kind: "postgres", url: database().url, poolSize: 1 });
      try {
        const recorded = await store.audit.record({
          actor: ownerName("durable"),
          action: "token.revoke",
          identityId: null,
          scopes: null,
          expiresOn: null,
          outcome: "denied",
          errorCode: "FORBIDDEN",
          requestId: null,
        });
        expect((await other.audit.list({ first: 1, actor: recorded.actor })).items).toEqual([recorded]);
      } finally {
        await other.close();
      }
    });
  },
  "store",
);

describeWithPostgres(
  "PostgreSQL shared by three replicas",
  (database) => {
    const replicas: Store[] = [];
    beforeAll(async () => {
      // All start, and migrate the empty schema, at the same moment.
      replicas.push(
        ...(await Promise.all(
          [0, 1, 2].map(() => openStore({ kind: "postgres", url: database().url, poolSize: 10 })),
        )),
      );
    }, SERVICE_START_TIMEOUT_MS);
    afterAll(() => Promise.all(replicas.map((replica) => replica.close())));

    test("migrating at once, they ran each migration once", async () => {
      const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(replicas[0].db);
      expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations));
    });
  },
  "store",
);

/**
 * A database on `url` whose catalogue read (Kysely's check for its bookkeeping tables, which reads every
 * schema) fails once with 3F000 naming `dropped`: what PostgreSQL answers when another session drops
 * a schema while the read runs. Real connections; only that one answer is made up.
 */
function catalogueReadFailingOnce(url: string, dropped: string): Kysely<Database> {
  const pool = new Pool({ connectionString: url, max: 2 });
  let pending = true;
  const connect = pool.connect.bind(pool) as () => Promise<PoolClient>;
  pool.connect = (async () => {
    const client = await connect();
    const query = client.query.bind(client) as (text: unknown, values?: unknown) => Promise<unknown>;
    client.query = ((text: unknown, values?: unknown) => {
      if (pending && typeof text === "string" && text.includes("has_schema_privilege")) {
        pending = false;
        const error = Object.assign(new Error(`schema "${dropped}" does not exist`), { code: "3F000" });
        return Promise.reject(error);
      }
      return query(text, values);
    }) as never;
    return client;
  }) as never;
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

describeWithPostgres(
  "PostgreSQL, another schema dropped while the service migrates",
  (database) => {
    test("the migration reads the catalogue again and completes", async () => {
      const db = catalogueReadFailingOnce(database().url, "someone_elses_schema");
      try {
        await migrate(db);
        const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
        expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations));
      } finally {
        await db.destroy();
      }
    });

    test("its own schema gone is not retried: start-up fails and says so", async () => {
      const db = catalogueReadFailingOnce(database().url, database().schema);
      try {
        await expect(migrate(db)).rejects.toThrow(`schema "${database().schema}" does not exist`);
      } finally {
        await db.destroy();
      }
    });
  },
  "store",
);

test("opening a database that does not answer fails", async () => {
  await expect(
    openStore({ kind: "postgres", url: "postgres://postgres@127.0.0.1:1/none", poolSize: 1 }),
  ).rejects.toThrow();
});
