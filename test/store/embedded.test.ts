// The store on the embedded database (PGlite, a folder): the shared contract, and how one PGlite
// connection is shared by concurrent callers. The folder is a copy of the run's migrated database
// (its initdb and migrations are tested in embedded-memory, embedded-disk and upgrade).
import { sql } from "kysely";
import { openStore, type Store } from "../../src/store";
import { rmSync } from "node:fs";
import path from "node:path";
import { IN_MEMORY } from "../../src/store/connect";
import { seedEmbeddedDatabase } from "../support/database-template";
import { scratchDir } from "../support/scratch";
import { newIdentity, ownerName, sleep, storeContract } from "../support/store-contract";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

let store: Store;
let folder: string;
beforeAll(async () => {
  folder = scratchDir("store-embedded-");
  const dir = path.join(folder, "db");
  store = await openStore({ kind: "embedded", dir: (await seedEmbeddedDatabase(dir)) ? dir : IN_MEMORY });
}, SERVICE_START_TIMEOUT_MS);
afterAll(async () => {
  await store?.close();
  rmSync(folder, { recursive: true, force: true });
});

describe("embedded database (PGlite)", () => {
  storeContract(() => store);

  describe("one connection, many callers", () => {
    test("concurrent transactions queue for the connection instead of interleaving", async () => {
      const order: string[] = [];
      const transaction = (name: string) =>
        store.db.transaction().execute(async (trx) => {
          order.push(`${name}:begin`);
          await sql`select set_config('app.who', ${name}, true)`.execute(trx);
          await sleep(15);
          const { rows } = await sql<{ who: string }>`select current_setting('app.who') as who`.execute(trx);
          order.push(`${name}:end`);
          return rows[0].who;
        });
      expect(await Promise.all(["a", "b", "c"].map(transaction))).toEqual(["a", "b", "c"]);
      expect(order).toEqual(["a:begin", "a:end", "b:begin", "b:end", "c:begin", "c:end"]);
    });

    test("a failed transaction rolls back and hands the connection on", async () => {
      const owner = ownerName("rollback");
      const failing = store.db.transaction().execute(async (trx) => {
        await trx
          .insertInto("identities")
          .values({ id: newIdentity(owner).id, owner, created_by: "t", created_at: new Date() })
          .execute();
        throw new Error("boom");
      });
      const after = store.identities.findActiveByOwner(owner);
      await expect(failing).rejects.toThrow("boom");
      expect(await after).toBeUndefined();
      await store.ping();
    });
  });
});
