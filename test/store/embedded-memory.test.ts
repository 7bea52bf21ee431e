// The embedded database's memory settings: small shared buffers on every open (new folders, existing
// ones, in memory), and a new folder created out of process, ready for this one to open.
import { sql } from "kysely";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openStore, type Store } from "../../src/store";
import { EMBEDDED_SHARED_BUFFERS, IN_MEMORY } from "../../src/store/connect";
import { newIdentity, seedIdentity } from "../support/store-contract";

// PostgreSQL's own default, which PGlite would otherwise use.
const POSTGRES_DEFAULT = "128MB";

async function sharedBuffers(store: Store): Promise<string> {
  const { rows } = await sql<{ shared_buffers: string }>`show shared_buffers`.execute(store.db);
  return rows[0].shared_buffers;
}

test("a new folder is created (out of process), opened, and reopened with the small buffers", async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "store-memory-"));
  const dir = path.join(root, "nested", "db"); // its parent folders too
  try {
    const first = await openStore({ kind: "embedded", dir });
    try {
      expect(existsSync(path.join(dir, "PG_VERSION"))).toBe(true);
      expect(await sharedBuffers(first)).toBe(EMBEDDED_SHARED_BUFFERS);
      expect(EMBEDDED_SHARED_BUFFERS).not.toBe(POSTGRES_DEFAULT);
      await seedIdentity(first, newIdentity("memory-owner"));
    } finally {
      await first.close();
    }
    // An existing folder: no new cluster, the same settings, the data still there.
    const again = await openStore({ kind: "embedded", dir });
    try {
      expect(await sharedBuffers(again)).toBe(EMBEDDED_SHARED_BUFFERS);
      expect(await again.identities.findActiveByOwner("memory-owner")).toMatchObject({
        owner: "memory-owner",
      });
    } finally {
      await again.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}, 120_000);

test("the in-memory database has the small buffers too", async () => {
  const store = await openStore({ kind: "embedded", dir: IN_MEMORY });
  try {
    expect(await sharedBuffers(store)).toBe(EMBEDDED_SHARED_BUFFERS);
  } finally {
    await store.close();
  }
}, 60_000);
