// The embedded database on disk: data survives close and reopen, reopening (which runs the migrations
// again) changes nothing, and one folder is open in one process at a time. The folder starts as a copy
// of the run's migrated database: creating a new one (initdb) is embedded-memory.test.ts's.
import { migrations } from "../../src/store/migrations";
import { sql } from "kysely";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openStore } from "../../src/store";
import { seedEmbeddedDatabase } from "../support/database-template";
import { newIdentity, seedIdentity } from "../support/store-contract";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

// Tests here start services (or emulators, or child processes) of their own.
jest.setTimeout(SERVICE_START_TIMEOUT_MS);

let root: string;
let dir: string;
beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "store-disk-"));
  dir = path.join(root, "db");
  await seedEmbeddedDatabase(dir);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("data written before close is there after reopening, and migrations run once", async () => {
  const first = await openStore({ kind: "embedded", dir });
  const created = await seedIdentity(
    first,
    newIdentity("persisted-owner", new Date("2026-11-24T01:02:03.456Z")),
  );
  const recorded = await first.audit.record({
    at: new Date("2026-11-24T01:02:04.000Z"),
    actor: "persisted-owner",
    action: "token.issue",
    identityId: created.id,
    scopes: ["voip"],
    expiresOn: null,
    outcome: "success",
    errorCode: null,
    requestId: "r-disk",
  });

  // one process, one open: a second open of the same folder is refused while the first is open
  await expect(openStore({ kind: "embedded", dir })).rejects.toThrow(/already open in process/);

  await first.close();
  await first.close(); // idempotent
  expect(readdirSync(dir).length).toBeGreaterThan(0);
  expect(existsSync(`${dir}.lock`)).toBe(false);

  // a lock left by a process that is gone does not keep the folder closed
  writeFileSync(`${dir}.lock`, "999999999");
  const second = await openStore({ kind: "embedded", dir });
  try {
    expect(await second.identities.findActiveByOwner("persisted-owner")).toEqual({
      ...created,
      lastTokenIssuedAt: new Date("2026-11-24T01:02:04.000Z"),
    });
    expect((await second.audit.list({ first: 10 })).items).toEqual([recorded]);
    const ran = await sql<{ name: string }>`select name from kysely_migration`.execute(second.db);
    expect(ran.rows.map((r) => r.name)).toEqual(Object.keys(migrations));
  } finally {
    await second.close();
  }
});
