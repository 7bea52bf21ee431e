// The same store behaviour on the embedded database and on PostgreSQL.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { NewIdentity } from "../../src/identity/model";
import { IN_MEMORY, openStore, OwnerTakenError, type Store } from "../../src/store";
import { postgresForTests } from "../support/postgres";

let counter = 0;
const acsId = () =>
  `8:acs:11111111-2222-3333-4444-555555555555_${String(++counter).padStart(8, "0")}-0000-0000-0000-000000000000`;
const identity = (owner: string | null, at = new Date()): NewIdentity => ({
  id: acsId(),
  owner,
  createdBy: "tester",
  createdAt: at,
});

function storeBehaviour(name: string, open: () => Promise<Store | undefined>, skipped: () => void) {
  describe(name, () => {
    let store: Store | undefined;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });
    const run = (title: string, body: (store: Store) => Promise<void>) =>
      test(title, async () => {
        if (!store) return skipped();
        await body(store);
      });

    run("stores, finds and updates identities with millisecond timestamps", async ({ identities }) => {
      const at = new Date("2026-11-24T10:11:12.345Z");
      const created = await identities.insert(identity("crud-owner", at));
      expect(created).toMatchObject({
        owner: "crud-owner",
        createdBy: "tester",
        createdAt: at,
        lastTokenIssuedAt: null,
        deletedAt: null,
      });
      expect(await identities.findById(created.id)).toEqual(created);
      expect(await identities.findActiveByOwner("crud-owner")).toEqual(created);
      const issued = new Date("2026-11-24T10:12:00.001Z");
      await identities.markTokenIssued(created.id, issued);
      await identities.markTokensRevoked(created.id, issued);
      expect(await identities.findById(created.id)).toMatchObject({
        lastTokenIssuedAt: issued,
        tokensRevokedAt: issued,
      });
      expect(await identities.findById("8:acs:nope")).toBeUndefined();
    });

    run("allows one live identity per owner, and a new one after deletion", async ({ identities }) => {
      const first = await identities.insert(identity("single"));
      await expect(identities.insert(identity("single"))).rejects.toBeInstanceOf(OwnerTakenError);
      await identities.insert(identity(null));
      await identities.insert(identity(null)); // no owner: any number
      const requested = await identities.markDeletionRequested(first.id, new Date());
      expect(requested.deletionRequestedAt).not.toBeNull();
      expect((await identities.findActiveByOwner("single"))?.id).toBe(first.id); // pending delete is still live
      const deleted = await identities.markDeleted(first.id, new Date());
      expect(deleted.deletedAt).not.toBeNull();
      expect((await identities.markDeleted(first.id, new Date(0))).deletedAt).toEqual(deleted.deletedAt); // idempotent
      expect(await identities.findActiveByOwner("single")).toBeUndefined();
      expect((await identities.insert(identity("single"))).owner).toBe("single");
      await expect(identities.markDeleted("8:acs:unknown", new Date())).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
    });

    run("pages through identities without gaps or repeats, filtering by owner", async ({ identities }) => {
      const owners = Array.from({ length: 7 }, (_, i) => `page-${i}`);
      for (const owner of owners) await identities.insert(identity(owner));
      const seen: string[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const page: Awaited<ReturnType<typeof identities.list>> = await identities.list({ first: 3, after });
        seen.push(...page.items.map((item) => item.owner ?? "-"));
        if (!page.hasNextPage) break;
        after = page.endCursor;
      }
      expect(seen.filter((o) => o.startsWith("page-"))).toEqual(owners);
      expect(new Set(seen.filter((o) => o !== "-")).size).toBe(seen.filter((o) => o !== "-").length);
      const one = await identities.list({ first: 10, owner: "page-3" });
      expect(one.items.map((i) => i.owner)).toEqual(["page-3"]);
      expect(one.hasNextPage).toBe(false);
      await expect(identities.list({ first: 3, after: "bm90LWEtY3Vyc29y" })).rejects.toMatchObject({
        code: "BAD_USER_INPUT",
      });
    });

    run("finds many owners' and ids' identities in one call", async ({ identities }) => {
      const a = await identities.insert(identity("batch-a"));
      const b = await identities.insert(identity("batch-b"));
      const byOwner = await identities.findActiveByOwners(["batch-a", "batch-b", "batch-none", "batch-a"]);
      expect([...byOwner.keys()].sort()).toEqual(["batch-a", "batch-b"]);
      const byId = await identities.findByIds([a.id, b.id, "8:acs:none"]);
      expect(byId.get(b.id)?.owner).toBe("batch-b");
      expect(byId.size).toBe(2);
    });

    run("50 concurrent get-or-creates for one owner create exactly once", async ({ identities }) => {
      let creates = 0;
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          identities.getOrCreateForOwner(
            "concurrent",
            async () => {
              creates++;
              await new Promise((resolve) => setTimeout(resolve, 20)); // an ACS round trip
              return identity("concurrent");
            },
            async () => undefined,
          ),
        ),
      );
      expect(creates).toBe(1);
      expect(new Set(results.map((r) => r.record.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    run("a mapping that cannot be stored discards the identity just created", async ({ identities }) => {
      const discarded: string[] = [];
      const taken = await identities.insert(identity("clash-target"));
      // create() returns an id that already exists: the insert fails after ACS "created" it
      await expect(
        identities.getOrCreateForOwner(
          "clash-owner",
          async () => ({ ...identity("clash-owner"), id: taken.id }),
          async (id) => {
            discarded.push(id);
          },
        ),
      ).rejects.toThrow();
      expect(discarded).toEqual([taken.id]);
      expect(await identities.findActiveByOwner("clash-owner")).toBeUndefined();
      // a failing create leaves nothing and discards nothing
      await expect(
        identities.getOrCreateForOwner(
          "clash-owner",
          async () => Promise.reject(new Error("ACS down")),
          async () => undefined,
        ),
      ).rejects.toThrow("ACS down");
      expect(await identities.findActiveByOwner("clash-owner")).toBeUndefined();
    });

    run("records audit events durably and lists them newest first with filters", async ({ audit }) => {
      const base = { scopes: null, expiresOn: null, errorCode: null, requestId: "r-1" };
      for (let i = 0; i < 5; i++) {
        await audit.record({
          ...base,
          actor: i % 2 ? "odd" : "even",
          action: "token.issue",
          identityId: `id-${i}`,
          outcome: "success",
          scopes: ["chat", "voip"],
        });
      }
      const page1 = await audit.list({ first: 2 });
      expect(page1.items.map((e) => e.identityId)).toEqual(["id-4", "id-3"]);
      const page2 = await audit.list({ first: 2, after: page1.endCursor });
      expect(page2.items.map((e) => e.identityId)).toEqual(["id-2", "id-1"]);
      expect(page2.items[0].scopes).toEqual(["chat", "voip"]);
      expect((await audit.list({ first: 10, actor: "odd" })).items.map((e) => e.identityId)).toEqual([
        "id-3",
        "id-1",
      ]);
      expect((await audit.list({ first: 10, identityId: "id-2" })).items).toHaveLength(1);
    });
  });
}

storeBehaviour(
  "embedded database (in memory)",
  () => openStore({ kind: "embedded", dir: IN_MEMORY }),
  () => undefined,
);

const postgres = postgresForTests();
let postgresUrl: string | undefined;
storeBehaviour(
  "PostgreSQL",
  async () => {
    postgresUrl = (await postgres.setup())?.url;
    return postgresUrl ? openStore({ kind: "postgres", url: postgresUrl, poolSize: 5 }) : undefined;
  },
  () => postgres.skipped("store behaviour on PostgreSQL"),
);

describe("PostgreSQL shared by two replicas", () => {
  const shared = postgresForTests();
  const replicas: Store[] = [];
  beforeAll(async () => {
    const database = await shared.setup();
    if (!database) return;
    // Both start (and migrate) at once, as replicas do.
    replicas.push(
      ...(await Promise.all(
        [0, 1].map(() => openStore({ kind: "postgres", url: database.url, poolSize: 10 })),
      )),
    );
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    await shared.cleanup();
  });

  test("50 concurrent first get-or-creates across both create exactly once", async () => {
    if (!replicas.length) return shared.skipped("two replicas sharing PostgreSQL");
    let creates = 0;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        replicas[i % 2].identities.getOrCreateForOwner(
          "shared-owner",
          async () => {
            creates++;
            await new Promise((resolve) => setTimeout(resolve, 20));
            return identity("shared-owner");
          },
          async () => undefined,
        ),
      ),
    );
    expect(creates).toBe(1);
    expect(new Set(results.map((r) => r.record.id)).size).toBe(1);
  });
});

test("the embedded database keeps its data across close and reopen", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "store-disk-"));
  try {
    const first = await openStore({ kind: "embedded", dir });
    const created = await first.identities.insert(identity("persisted"));
    await first.close();
    const second = await openStore({ kind: "embedded", dir }); // migrations run again: a no-op
    expect(await second.identities.findActiveByOwner("persisted")).toEqual(created);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

afterAll(() => postgres.cleanup());
