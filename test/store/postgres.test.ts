// The store on PostgreSQL: the shared contract in a fresh schema, and several replicas (separate
// pools) sharing one database: they migrate at once without colliding and create each owner's
// identity exactly once between them.
import { migrations } from "../../src/store/migrations";
import { sql } from "kysely";
import { openStore, type Store } from "../../src/store";
import { SqlIdentityStore } from "../../src/store/identity-store";
import { describeWithPostgres } from "../support/postgres";
import { deferred, newIdentity, ownerName, sleep, storeContract } from "../support/store-contract";
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

    test("a create() that stalls past the limit loses the lock; its identity is discarded", async () => {
      const impatient = new SqlIdentityStore(store.db, { createTimeoutMs: 200 });
      const owner = ownerName("stalled");
      const stalled = newIdentity(owner);
      const discard = jest.fn(async () => undefined);
      await expect(
        impatient.getOrCreateForOwner(
          owner,
          async () => {
            await sleep(600); // the server ends the idle transaction meanwhile
            return stalled;
          },
          discard,
        ),
      ).rejects.toThrow();
      expect(discard).toHaveBeenCalledWith(stalled.id);
      expect(await store.identities.findById(stalled.id)).toBeUndefined();
      // the owner is free again, and the pool still works
      const next = await store.identities.getOrCreateForOwner(owner, async () => newIdentity(owner), discard);
      expect(next.created).toBe(true);
      expect(discard).toHaveBeenCalledTimes(1);
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

    test("50 concurrent first get-or-creates across them create exactly once", async () => {
      const owner = ownerName("shared");
      let creates = 0;
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          replicas[i % replicas.length].identities.getOrCreateForOwner(
            owner,
            async () => {
              creates++;
              await sleep(20);
              return newIdentity(owner);
            },
            async () => undefined,
          ),
        ),
      );
      expect(creates).toBe(1);
      expect(new Set(results.map((r) => r.record.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(
        (await replicas[2].identities.list({ first: 10, owner, includeDeleted: true })).items,
      ).toHaveLength(1);
    });

    test("while one replica creates, another waits for it and takes its identity", async () => {
      const owner = ownerName("waits");
      const acs = deferred<void>();
      const started = deferred<void>();
      const first = replicas[0].identities.getOrCreateForOwner(
        owner,
        async () => {
          started.resolve();
          await acs.promise;
          return newIdentity(owner);
        },
        async () => undefined,
      );
      await started.promise;
      const secondCreate = jest.fn(async () => newIdentity(owner));
      let secondDone = false;
      const second = replicas[1].identities
        .getOrCreateForOwner(owner, secondCreate, async () => undefined)
        .finally(() => (secondDone = true));
      try {
        await sleep(100);
        expect(secondDone).toBe(false); // blocked on the owner's advisory lock
      } finally {
        acs.resolve(); // never leave a transaction open, even when the expectation fails
      }
      const [a, b] = await Promise.all([first, second]);
      expect(b).toEqual({ record: a.record, created: false });
      expect(secondCreate).not.toHaveBeenCalled();
    });
  },
  "store",
);

test("opening a database that does not answer fails", async () => {
  await expect(
    openStore({ kind: "postgres", url: "postgres://postgres@127.0.0.1:1/none", poolSize: 1 }),
  ).rejects.toThrow();
});
