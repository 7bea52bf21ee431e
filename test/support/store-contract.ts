// The behaviour every store must show, whatever the driver: call `storeContract` inside a describe
// whose beforeAll opens the store. Tests share that store (and its data), so each one works on its own
// owners and actors, and whole-table checks hold whatever else is in the tables.
import { migrations } from "../../src/store/migrations";
import { randomBytes } from "node:crypto";
import {
  sql,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
} from "kysely";
import type { AuditEvent, IdentityRecord, NewAuditEvent, NewIdentity } from "../../src/identity/model";
import type { Store } from "../../src/store";
import { SqlAuditLog } from "../../src/store/audit-log";
import { migrate } from "../../src/store/connect";
import type { Database } from "../../src/store/database";
import {
  isOwnerConflict,
  SqlIdentityStore,
  toRecord,
  type ListIdentitiesOptions,
} from "../../src/store/identity-store";

const run = randomBytes(3).toString("hex");
let counter = 0;

/** A fresh, ACS-shaped identity id. */
export const acsId = (): string =>
  `8:acs:11111111-2222-3333-4444-555555555555_${run}${String(++counter).padStart(6, "0")}-0000-0000-0000-000000000000`;

/** An owner name unique to this run and test. */
export const ownerName = (label: string): string => `${label}-${run}-${++counter}`;

export const newIdentity = (owner: string | null, createdAt = new Date()): NewIdentity => ({
  id: acsId(),
  owner,
  createdBy: "tester",
  createdAt,
});

/**
 * Test-only: stores an identity row as given, straight into the table. The service creates identities
 * through the creation ledger only (see the "creation ledger" tests).
 */
export async function seedIdentity(store: { db: Kysely<Database> }, identity: NewIdentity) {
  const row = await store.db
    .insertInto("identities")
    .values({
      id: identity.id,
      owner: identity.owner,
      created_by: identity.createdBy,
      created_at: identity.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Counts the queries run through a Kysely instance built `withPlugin(counter)`: each one's result, since
 * a statement compiled once (src/store/compiled.ts) is transformed only when it is compiled.
 */
export class QueryCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs) {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs) {
    this.count++;
    return args.result;
  }
}

const event = (overrides: Partial<NewAuditEvent> & Pick<NewAuditEvent, "actor">): NewAuditEvent => ({
  action: "token.issue",
  identityId: null,
  scopes: null,
  expiresOn: null,
  outcome: "success",
  errorCode: null,
  requestId: null,
  ...overrides,
});

async function allIdentityPages(store: Store, query: Omit<ListIdentitiesOptions, "after">) {
  const items: IdentityRecord[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 10_000; pages++) {
    const page: Awaited<ReturnType<Store["identities"]["list"]>> = await store.identities.list({
      ...query,
      after,
    });
    items.push(...page.items);
    if (page.items.length > (query.first ?? 0)) throw new Error("page longer than first");
    if (!page.hasNextPage) return items;
    after = page.endCursor;
  }
  throw new Error("paging did not end");
}

async function allAuditPages(store: Store, query: { first: number; actor?: string; identityId?: string }) {
  const items: AuditEvent[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 10_000; pages++) {
    const page: Awaited<ReturnType<Store["audit"]["list"]>> = await store.audit.list({ ...query, after });
    items.push(...page.items);
    if (!page.hasNextPage) return items;
    after = page.endCursor;
  }
  throw new Error("paging did not end");
}

const count = async (store: Store, table: "identities" | "audit_events", where = sql`true`) =>
  Number(
    (await sql<{ n: string }>`select count(*) as n from ${sql.table(table)} where ${where}`.execute(store.db))
      .rows[0].n,
  );

export function storeContract(getStore: () => Store): void {
  const seed = (identity: NewIdentity) => seedIdentity(getStore(), identity);

  describe("identities", () => {
    test("a stored identity is found by id and by owner, with millisecond timestamps", async () => {
      const { identities } = getStore();
      const owner = ownerName("crud");
      const createdAt = new Date("2026-11-24T10:11:12.345Z");
      const created = await seed({ ...newIdentity(owner, createdAt), createdBy: "admin-1" });
      expect(created).toEqual({
        id: created.id,
        owner,
        createdBy: "admin-1",
        createdAt,
        lastTokenIssuedAt: null,
        tokensRevokedAt: null,
        deletionRequestedAt: null,
        deletedAt: null,
      });
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(await identities.findById(created.id)).toEqual(created);
      expect(await identities.findActiveByOwner(owner)).toEqual(created);
      const unowned = await seed(newIdentity(null));
      expect((await identities.findById(unowned.id))?.owner).toBeNull();
    });

    test("unknown ids and owners find nothing", async () => {
      const { identities } = getStore();
      expect(await identities.findById("8:acs:unknown")).toBeUndefined();
      expect(await identities.findActiveByOwner(ownerName("nobody"))).toBeUndefined();
    });

    test("the unique index refuses a second active identity (an owner conflict); unowned ones are unlimited", async () => {
      const { identities } = getStore();
      const owner = ownerName("single");
      const first = await seed(newIdentity(owner));
      const refused = await seed(newIdentity(owner)).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: "23505" });
      expect(isOwnerConflict(refused)).toBe(true);
      await seed(newIdentity(null));
      await seed(newIdentity(null));
      expect((await identities.findActiveByOwner(owner))?.id).toBe(first.id);
      expect((await identities.list({ first: 10, owner, includeDeleted: true })).items).toHaveLength(1);
    });

    test("a duplicate id is refused, and not as an owner conflict", async () => {
      const first = await seed(newIdentity(null));
      const again = await seed({ ...newIdentity(ownerName("dup")), id: first.id }).catch(
        (error: unknown) => error,
      );
      expect(again).toMatchObject({ code: "23505" });
      expect(isOwnerConflict(again)).toBe(false);
    });

    test("an identity whose delete is requested stays active; once deleted the owner is free", async () => {
      const { identities } = getStore();
      const owner = ownerName("deleting");
      const first = await seed(newIdentity(owner));
      const requestedAt = new Date("2026-11-24T11:00:00.001Z");
      const requested = await identities.markDeletionRequested(first.id, requestedAt);
      expect(requested).toEqual({ ...first, deletionRequestedAt: requestedAt });
      expect(await identities.findActiveByOwner(owner)).toEqual(requested);
      expect(isOwnerConflict(await seed(newIdentity(owner)).catch((error: unknown) => error))).toBe(true);

      const deletedAt = new Date("2026-11-24T11:00:01.002Z");
      const deleted = await identities.markDeleted(first.id, deletedAt);
      expect(deleted).toEqual({ ...requested, deletedAt });
      expect(await identities.findActiveByOwner(owner)).toBeUndefined();
      expect(await identities.findById(first.id)).toEqual(deleted); // history stays
      const next = await seed(newIdentity(owner));
      expect(await identities.findActiveByOwner(owner)).toEqual(next);
    });

    test("markTokensRevoked sets its time, which never moves backwards", async () => {
      const { identities } = getStore();
      const { id } = await seed(newIdentity(ownerName("marks")));
      const t1 = new Date("2026-11-24T12:00:00.123Z");
      const t0 = new Date("2026-11-24T11:59:59.999Z");
      const t2 = new Date("2026-11-24T12:00:00.124Z");
      await identities.markTokensRevoked(id, t1);
      expect(await identities.findById(id)).toMatchObject({ tokensRevokedAt: t1 });
      await identities.markTokensRevoked(id, t0);
      expect(await identities.findById(id)).toMatchObject({ tokensRevokedAt: t1 });
      await identities.markTokensRevoked(id, t2);
      expect(await identities.findById(id)).toMatchObject({
        lastTokenIssuedAt: null,
        tokensRevokedAt: t2,
        deletionRequestedAt: null,
        deletedAt: null,
      });
    });

    test("lastTokenIssuedAt is the latest successful token.issue audit event, on every read", async () => {
      const store = getStore();
      const { identities, audit } = store;
      const owner = ownerName("issued");
      const { id } = await seed(newIdentity(owner));
      const event = (at: string, action: "token.issue" | "token.revoke", outcome: "success" | "failed") =>
        audit.record({
          at: new Date(at),
          actor: owner,
          action,
          identityId: id,
          scopes: null,
          expiresOn: null,
          outcome,
          errorCode: outcome === "failed" ? "ACS_UNAVAILABLE" : null,
          requestId: null,
        });
      await event("2026-11-24T12:00:00.123Z", "token.issue", "success");
      await event("2026-11-24T12:00:01.000Z", "token.issue", "failed"); // not an issue
      await event("2026-11-24T12:00:02.000Z", "token.revoke", "success"); // not an issue
      await event("2026-11-24T11:00:00.000Z", "token.issue", "success"); // an older one, written later
      const at = new Date("2026-11-24T12:00:00.123Z");
      expect(await identities.findById(id)).toMatchObject({ lastTokenIssuedAt: at });
      expect((await identities.findActiveByOwner(owner))?.lastTokenIssuedAt).toEqual(at);
      expect((await identities.findActiveByOwners([owner])).get(owner)?.lastTokenIssuedAt).toEqual(at);
      expect((await identities.findByIds([id])).get(id)?.lastTokenIssuedAt).toEqual(at);
      expect((await identities.list({ first: 5, owner })).items[0].lastTokenIssuedAt).toEqual(at);
      await identities.markTokensRevoked(id, new Date());
      expect((await identities.findById(id))?.lastTokenIssuedAt).toEqual(at);
      expect((await identities.markDeletionRequested(id, new Date())).lastTokenIssuedAt).toEqual(at);
      // A time written to the column before the audit trail was its source still counts when later.
      const before = new Date("2026-11-24T13:00:00.000Z");
      await sql`update identities set last_token_issued_at = ${before} where id = ${id}`.execute(store.db);
      expect((await identities.markDeleted(id, new Date())).lastTokenIssuedAt).toEqual(before);
    });

    test("markDeletionRequested keeps the first time; markDeleted is idempotent and implies requested", async () => {
      const { identities } = getStore();
      const a = await seed(newIdentity(ownerName("del-a")));
      const first = new Date("2026-11-24T13:00:00.000Z");
      expect((await identities.markDeletionRequested(a.id, first)).deletionRequestedAt).toEqual(first);
      expect((await identities.markDeletionRequested(a.id, new Date())).deletionRequestedAt).toEqual(first);
      const done = new Date("2026-11-24T13:00:05.000Z");
      expect(await identities.markDeleted(a.id, done)).toMatchObject({
        deletionRequestedAt: first,
        deletedAt: done,
      });
      expect(await identities.markDeleted(a.id, new Date())).toMatchObject({
        deletionRequestedAt: first,
        deletedAt: done,
      });
      expect((await identities.markDeletionRequested(a.id, new Date())).deletedAt).toEqual(done);

      const b = await seed(newIdentity(null));
      expect(await identities.markDeleted(b.id, done)).toMatchObject({
        deletionRequestedAt: done,
        deletedAt: done,
      });
    });

    test("every mark method answers NOT_FOUND for an unknown id", async () => {
      const { identities } = getStore();
      const at = new Date();
      for (const mark of [
        () => identities.markTokensRevoked("8:acs:unknown", at),
        () => identities.markDeletionRequested("8:acs:unknown", at),
        () => identities.markDeleted("8:acs:unknown", at),
      ]) {
        await expect(mark()).rejects.toMatchObject({ name: "AppError", code: "NOT_FOUND" });
      }
    });

    test("findActiveByOwners and findByIds answer a batch in one query each", async () => {
      const store = getStore();
      const owners = Array.from({ length: 30 }, () => ownerName("batch"));
      const records = [];
      for (const owner of owners) records.push(await seed(newIdentity(owner)));
      const gone = records[0];
      await store.identities.markDeleted(gone.id, new Date());
      const pending = records[1];
      await store.identities.markDeletionRequested(pending.id, new Date());

      const counter = new QueryCounter();
      const counted = new SqlIdentityStore(store.db.withPlugin(counter));
      const byOwner = await counted.findActiveByOwners([...owners, owners[5], ownerName("none")]);
      expect(counter.count).toBe(1);
      expect(byOwner.size).toBe(29); // the deleted one is not active
      expect(byOwner.has(gone.owner!)).toBe(false);
      expect(byOwner.get(pending.owner!)?.deletionRequestedAt).not.toBeNull();
      expect(byOwner.get(owners[7])).toEqual(records[7]);

      counter.count = 0;
      const byId = await counted.findByIds([...records.map((r) => r.id), records[3].id, "8:acs:none"]);
      expect(counter.count).toBe(1);
      expect(byId.size).toBe(30); // deleted ones included
      expect(byId.get(gone.id)?.deletedAt).not.toBeNull();
      expect(byId.get(records[9].id)).toEqual(records[9]);

      counter.count = 0;
      expect((await counted.findActiveByOwners([])).size).toBe(0);
      expect((await counted.findByIds([])).size).toBe(0);
      expect(counter.count).toBe(0);
    });

    test("list pages by (createdAt, id) with no gaps or repeats, across equal timestamps", async () => {
      const store = getStore();
      const tie = new Date("2026-01-02T03:04:05.678Z");
      const mine: IdentityRecord[] = [];
      for (let i = 0; i < 5; i++) mine.push(await seed(newIdentity(ownerName("tie"), tie)));
      for (let i = 0; i < 4; i++) {
        mine.push(await seed(newIdentity(ownerName("seq"), new Date(tie.getTime() + 1 + i))));
      }
      for (const first of [1, 2, 3, 7]) {
        const all = await allIdentityPages(store, { first });
        expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
        expect(all.length).toBe(await count(store, "identities", sql`deleted_at is null`));
        for (let i = 1; i < all.length; i++) {
          expect(all[i].createdAt.getTime()).toBeGreaterThanOrEqual(all[i - 1].createdAt.getTime());
        }
        const ids = new Set(mine.map((r) => r.id));
        expect(all.filter((r) => ids.has(r.id)).map((r) => r.id)).toEqual(mine.map((r) => r.id));
      }
    });

    test("list filters by owner, leaves deleted identities out unless asked, and clamps first", async () => {
      const store = getStore();
      const { identities } = store;
      const owner = ownerName("history");
      const old = await seed(newIdentity(owner, new Date("2026-01-01T00:00:00.000Z")));
      await identities.markDeleted(old.id, new Date());
      const current = await seed(newIdentity(owner, new Date("2026-01-02T00:00:00.000Z")));

      const active = await identities.list({ first: 10, owner });
      expect(active.items.map((r) => r.id)).toEqual([current.id]);
      expect(active.hasNextPage).toBe(false);
      const history = await identities.list({ first: 1, owner, includeDeleted: true });
      expect(history.items.map((r) => r.id)).toEqual([old.id]);
      expect(history.hasNextPage).toBe(true);
      const rest = await identities.list({ first: 1, owner, includeDeleted: true, after: history.endCursor });
      expect(rest.items.map((r) => r.id)).toEqual([current.id]);
      expect(rest.hasNextPage).toBe(false);
      const empty = await identities.list({ first: 5, owner: ownerName("nobody") });
      expect(empty).toEqual({ items: [], cursors: [], endCursor: null, hasNextPage: false });

      const everything = await allIdentityPages(store, { first: 50, includeDeleted: true });
      expect(everything.length).toBe(await count(store, "identities"));

      for (let i = 0; i < 105; i++) await seed(newIdentity(null));
      expect((await identities.list({ first: 0 })).items).toHaveLength(1);
      expect((await identities.list({ first: -5 })).items).toHaveLength(1);
      expect((await identities.list({ first: 1000 })).items).toHaveLength(100);
      expect((await identities.list({ first: Number.NaN })).items).toHaveLength(1);
    });

    test("list refuses a cursor it did not make", async () => {
      const store = getStore();
      const auditCursor = (await store.audit.list({ first: 1 })).endCursor;
      const forged = Buffer.from(JSON.stringify(["i1", "x", 3])).toString("base64url");
      for (const after of ["bm90LWEtY3Vyc29y", "!!", forged, auditCursor ?? "YQ"]) {
        await expect(store.identities.list({ first: 3, after })).rejects.toMatchObject({
          code: "BAD_USER_INPUT",
          details: { field: "after" },
        });
      }
    });
  });

  // The SQL side of creating an identity; the provisioner's use of it is tested in test/identity, and
  // concurrent first mints end to end in test/api/concurrency.test.ts.
  describe("creation ledger", () => {
    const lease = { leaseMs: 60_000, resumeStale: true };
    const request = (owner: string) => ({
      owner,
      createdBy: "tester",
      requestId: "req-ledger",
      operation: null,
    });

    test("one open creation per owner: concurrent claims hold it once; other owners claim at once", async () => {
      const { creations } = getStore();
      const owner = ownerName("claim");
      const now = new Date();
      const claims = await Promise.all(
        Array.from({ length: 20 }, () => creations.claim(request(owner), { now, ...lease })),
      );
      expect(claims.filter((claim) => claim.held)).toHaveLength(1);
      expect(new Set(claims.map((claim) => claim.creation.key)).size).toBe(1);
      const others = await Promise.all(
        [ownerName("claim-a"), ownerName("claim-b")].map((other) =>
          creations.claim(request(other), { now, ...lease }),
        ),
      );
      expect(others.map((claim) => claim.held)).toEqual([true, true]);
      // An abandoned creation frees the owner at once.
      await creations.abandon(claims[0].creation.key);
      const again = await creations.claim(request(owner), { now, ...lease });
      expect(again.held).toBe(true);
      expect(again.creation.key).not.toBe(claims[0].creation.key);
    });

    test("complete stores the identity and its identity.create event and closes the creation; a repeat finds it", async () => {
      const store = getStore();
      const owner = ownerName("complete");
      const { creation } = await store.creations.claim(request(owner), { now: new Date(), ...lease });
      const id = acsId();
      const at = new Date("2026-11-24T10:00:00.123Z");
      const done = await store.creations.complete(creation, id, at);
      expect(done).toEqual({ created: true, record: expect.objectContaining({ id, owner, createdAt: at }) });
      expect(await store.identities.findActiveByOwner(owner)).toMatchObject({ id, createdBy: "tester" });
      const events = (await store.audit.list({ first: 10, identityId: id })).items;
      expect(events).toMatchObject([{ action: "identity.create", actor: "tester", requestId: "req-ledger" }]);
      expect((await store.creations.list(1_000)).map((open) => open.key)).not.toContain(creation.key);
      // The same identity again (a repeated create answered with it): nothing new is stored.
      expect(await store.creations.complete(creation, id, new Date())).toEqual({
        created: false,
        record: expect.objectContaining({ id }),
      });
      expect(await store.audit.list({ first: 10, identityId: id })).toMatchObject({ items: events });
    });

    test("an owner who got another identity meanwhile (even one being deleted) is taken: nothing is stored", async () => {
      const store = getStore();
      const owner = ownerName("taken");
      const { creation } = await store.creations.claim(request(owner), { now: new Date(), ...lease });
      const other = await seed(newIdentity(owner)); // another writer, after our claim
      const requested = await store.identities.markDeletionRequested(other.id, new Date());
      const mine = acsId();
      expect(await store.creations.complete(creation, mine, new Date())).toEqual({ taken: requested });
      expect(await store.identities.findById(mine)).toBeUndefined();
      // Once that delete is done, the owner's next creation is stored.
      await store.identities.markDeleted(other.id, new Date());
      expect(await store.creations.complete(creation, mine, new Date())).toMatchObject({ created: true });
    });
  });

  describe("audit log", () => {
    test("events recorded together are written together, each resolving with its own; a refused one fails alone", async () => {
      const store = getStore();
      const counter = new QueryCounter();
      const audit = new SqlAuditLog(store.db.withPlugin(counter));
      const actor = ownerName("grouped");
      const events = Array.from({ length: 20 }, (_, i) => event({ actor, requestId: `g-${i}` }));
      const stored = await Promise.all(events.map((e) => audit.record(e)));
      expect(stored.map((e) => e.requestId)).toEqual(events.map((e) => e.requestId));
      expect(new Set(stored.map((e) => e.id)).size).toBe(20);
      // The first alone (nothing was running), the other 19 in one statement once it committed.
      expect(counter.count).toBe(2);
      expect(await count(store, "audit_events", sql`actor = ${actor}`)).toBe(20);

      // PostgreSQL refuses a NUL character in text: that event fails, the ones written with it do not.
      const mixed = await Promise.allSettled([
        audit.record(event({ actor, requestId: "m-0" })),
        audit.record(event({ actor, requestId: "m-1" })),
        audit.record(event({ actor: `${actor}\u0000`, requestId: "m-2" })),
        audit.record(event({ actor, requestId: "m-3" })),
      ]);
      expect(mixed.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
      expect(await count(store, "audit_events", sql`actor = ${actor}`)).toBe(23);
    });

    test("a batch larger than the inserts kept compiled is written in one statement too", async () => {
      const store = getStore();
      const counter = new QueryCounter();
      const audit = new SqlAuditLog(store.db.withPlugin(counter));
      const actor = ownerName("large-batch");
      const events = Array.from({ length: 101 }, (_, i) => event({ actor, requestId: `l-${i}` }));
      const stored = await Promise.all(events.map((e) => audit.record(e)));
      expect(stored.map((e) => e.requestId)).toEqual(events.map((e) => e.requestId));
      expect(counter.count).toBe(2); // the first alone, then 100 at once
      expect(await count(store, "audit_events", sql`actor = ${actor}`)).toBe(101);
    });

    test("record returns the event as stored, with an id and a time, and list returns the same", async () => {
      const { audit } = getStore();
      const actor = ownerName("auditor");
      const before = Date.now();
      const full = await audit.record(
        event({
          actor,
          action: "token.issue",
          identityId: "8:acs:x_y",
          scopes: ["chat", "voip"],
          expiresOn: new Date("2026-11-25T10:00:00.999Z"),
          requestId: "req-1",
        }),
      );
      expect(full).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        at: expect.any(Date),
        actor,
        action: "token.issue",
        identityId: "8:acs:x_y",
        scopes: ["chat", "voip"],
        expiresOn: new Date("2026-11-25T10:00:00.999Z"),
        outcome: "success",
        errorCode: null,
        requestId: "req-1",
        operation: null,
        callerKind: null,
        clientRequestId: null,
        count: 1,
      });
      expect(full.at.getTime()).toBeGreaterThanOrEqual(before);
      expect(full.at.getTime()).toBeLessThanOrEqual(Date.now());

      const at = new Date("2020-01-01T09:00:00.007Z");
      const failed = await audit.record(
        event({
          actor,
          action: "identity.delete",
          outcome: "failed",
          errorCode: "ACS_UNAVAILABLE",
          scopes: [],
          at,
        }),
      );
      expect(failed).toMatchObject({ at, scopes: [], identityId: null, expiresOn: null, requestId: null });
      const named = await audit.record(
        event({ actor, action: "audit.read", outcome: "denied", operation: "Query.auditEvents" }),
      );
      expect(named.operation).toBe("Query.auditEvents");
      expect((await audit.list({ first: 10, actor })).items).toEqual([named, full, failed]);
    });

    test("the caller kind and the client's request id are kept; a denial's count grows by addToCount", async () => {
      const { audit } = getStore();
      const actor = ownerName("counted");
      const recorded = await audit.record(
        event({
          actor,
          action: "identity.read",
          outcome: "denied",
          callerKind: "subject",
          clientRequestId: "client-id-0001",
        }),
      );
      expect(recorded).toMatchObject({ callerKind: "subject", clientRequestId: "client-id-0001", count: 1 });
      await audit.addToCount(recorded.id, 41);
      expect((await audit.list({ first: 1, actor })).items[0].count).toBe(42);
    });

    test("list is newest first by (at, id), paging with no gaps or repeats within one millisecond", async () => {
      const store = getStore();
      const actor = ownerName("pager");
      const sameMs = new Date("2026-11-24T08:00:00.500Z");
      const written: AuditEvent[] = [];
      for (let i = 0; i < 7; i++) written.push(await store.audit.record(event({ actor, at: sameMs })));
      written.push(await store.audit.record(event({ actor, at: new Date(sameMs.getTime() + 1) })));
      written.unshift(await store.audit.record(event({ actor, at: new Date(sameMs.getTime() - 1) })));
      const newestFirst = [...written].reverse().map((e) => e.id);
      for (const first of [1, 2, 4, 100]) {
        expect((await allAuditPages(store, { first, actor })).map((e) => e.id)).toEqual(newestFirst);
      }
      const all = await allAuditPages(store, { first: 3 });
      expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
      expect(all.length).toBe(await count(store, "audit_events"));
      for (let i = 1; i < all.length; i++) {
        expect(all[i].at.getTime()).toBeLessThanOrEqual(all[i - 1].at.getTime());
      }
    });

    test("list filters by identity and by actor, and both at once", async () => {
      const { audit } = getStore();
      const [alice, bob] = [ownerName("alice"), ownerName("bob")];
      const [one, two] = [acsId(), acsId()];
      const a1 = await audit.record(event({ actor: alice, identityId: one }));
      const b1 = await audit.record(event({ actor: bob, identityId: one }));
      const a2 = await audit.record(event({ actor: alice, identityId: two }));
      const ids = async (query: { actor?: string; identityId?: string }) =>
        (await audit.list({ first: 10, ...query })).items.map((e) => e.id);
      expect(await ids({ identityId: one })).toEqual([b1.id, a1.id]);
      expect(await ids({ actor: alice })).toEqual([a2.id, a1.id]);
      expect(await ids({ actor: alice, identityId: one })).toEqual([a1.id]);
      expect(await ids({ actor: bob, identityId: two })).toEqual([]);
      const page = await audit.list({ first: 1, identityId: one });
      expect(page.hasNextPage).toBe(true);
      expect((await audit.list({ first: 1, identityId: one, after: page.endCursor })).items).toEqual([a1]);
    });

    test("list refuses a cursor it did not make", async () => {
      const store = getStore();
      await seed(newIdentity(null));
      const identityCursor = (await store.identities.list({ first: 1 })).endCursor!;
      const notUuid = Buffer.from(JSON.stringify(["a1", 0, "not-a-uuid"])).toString("base64url");
      for (const after of [identityCursor, notUuid, "e30"]) {
        await expect(store.audit.list({ first: 2, after })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
      }
    });
  });

  describe("schema", () => {
    const columns = async (store: Store, table: string) =>
      (
        await sql<{ column_name: string; data_type: string; datetime_precision: number | null }>`
          select column_name, data_type, datetime_precision from information_schema.columns
          where table_schema = current_schema() and table_name = ${table} order by ordinal_position`.execute(
          store.db,
        )
      ).rows;

    test("has the expected columns, millisecond timestamps, and nowhere to put a token", async () => {
      const store = getStore();
      const identities = await columns(store, "identities");
      expect(identities.map((c) => c.column_name)).toEqual([
        "id",
        "owner",
        "created_by",
        "created_at",
        "last_token_issued_at",
        "tokens_revoked_at",
        "deletion_requested_at",
        "deleted_at",
      ]);
      const audit = await columns(store, "audit_events");
      expect(audit.map((c) => c.column_name)).toEqual([
        "id",
        "at",
        "actor",
        "action",
        "identity_id",
        "scopes",
        "expires_on",
        "outcome",
        "error_code",
        "request_id",
        "operation",
        "caller_kind",
        "client_request_id",
        "count",
      ]);
      for (const column of [...identities, ...audit].filter((c) => c.data_type.startsWith("timestamp"))) {
        expect(column).toMatchObject({ data_type: "timestamp with time zone", datetime_precision: 3 });
      }
      expect([...identities, ...audit].some((c) => /token$|secret|key/.test(c.column_name))).toBe(false);
    });

    test("migrating again is a no-op and the migrations ran once", async () => {
      const store = getStore();
      await migrate(store.db);
      const ran = await sql<{ name: string }>`select name from kysely_migration`.execute(store.db);
      expect(ran.rows.map((r) => r.name)).toEqual(Object.keys(migrations));
      await store.ping();
    });
  });
}
