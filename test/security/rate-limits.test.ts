// Attacks on the ACS budget, end to end over HTTP: one principal hammering, many principals (or one
// client with many tokens) from one address, spoofed X-Forwarded-For, roles with their own limits, and
// the service-wide budget below ACS's quota; in memory and in Redis shared by two replicas. Every
// refusal is RATE_LIMITED with retryAfterSeconds and a Retry-After header, makes no ACS call and writes
// no identity row.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/server/logger";
import * as op from "../support/operations";
import { describeWithRedis } from "../support/redis";
import { startTestService, type TestService } from "../support/service";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

interface Sent {
  status: number;
  retryAfter: string | null;
  data: Record<string, any> | null;
  errors: Array<{ message: string; code?: string; extensions: Record<string, unknown> }>;
}

/** One GraphQL request over plain HTTP, so that headers (X-Forwarded-For, Retry-After) are in reach. */
async function send(
  service: TestService,
  query: string,
  variables: Record<string, unknown>,
  { token, forwardedFor }: { token?: string; forwardedFor?: string } = {},
): Promise<Sent> {
  const response = await fetch(service.graphqlUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Sent["data"]; errors?: Array<Record<string, any>> };
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    data: body.data ?? null,
    errors: (body.errors ?? []).map((e) => ({
      message: e.message,
      code: e.extensions?.code,
      extensions: e.extensions ?? {},
    })),
  };
}

const outcome = (sent: Sent) => sent.errors[0]?.code ?? "OK";

async function identityRows(service: TestService): Promise<number> {
  const row = await service.store.db
    .selectFrom("identities")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** What a refusal must leave untouched: ACS (every request the emulator saw) and the identity table. */
async function footprint(services: TestService[]) {
  return Promise.all(
    services.map(async (s) => ({ acsRequests: s.emulator!.stats().requests, rows: await identityRows(s) })),
  );
}

/**
 * Sends a request that must be refused: RATE_LIMITED with a positive retryAfterSeconds within the
 * window, the same value in the Retry-After header, a message matching `reason`, and no ACS call or
 * identity row on any of `services`.
 */
async function expectRefused(
  services: TestService[],
  request: () => Promise<Sent>,
  reason: RegExp,
  windowSeconds = 60,
): Promise<Sent> {
  const before = await footprint(services);
  const sent = await request();
  expect(sent.errors.map((e) => e.code)).toEqual(["RATE_LIMITED"]);
  expect(sent.errors[0].message).toMatch(reason);
  const retry = sent.errors[0].extensions.retryAfterSeconds as number;
  expect(Number.isInteger(retry)).toBe(true);
  expect(retry).toBeGreaterThan(0);
  expect(retry).toBeLessThanOrEqual(windowSeconds);
  expect(sent.retryAfter).toBe(String(retry));
  expect(await footprint(services)).toEqual(before);
  return sent;
}

const PER_PRINCIPAL = /you may make at most/;
const PER_ADDRESS = /from your network address/;
const SERVICE_WIDE = /across all callers/;

/** A policy file with roles that set their own limits, written to a temp folder. */
function writePolicy(dir: string): string {
  const all = "[chat, chat.join, chat.join.limited, voip, voip.join]";
  const file = path.join(dir, "policy.yaml");
  writeFileSync(
    file,
    [
      "roles:",
      "  user:", // no limits of its own: RATE_LIMIT_*_PER_MINUTE
      "    permissions: [mint:self]",
      `    scopes: ${all}`,
      "    maxTokenLifetimeMinutes: 1440",
      "  vip:",
      "    permissions: [mint:self]",
      `    scopes: ${all}`,
      "    maxTokenLifetimeMinutes: 1440",
      "    rateLimits: { mint: 3 }",
      "  guest:",
      "    permissions: [mint:self]",
      "    scopes: [voip.join]",
      "    maxTokenLifetimeMinutes: 60",
      "    rateLimits: { mint: 1 }",
      "  backend:",
      "    permissions: [mint:any, identity:create, identity:read]",
      `    scopes: ${all}`,
      "    maxTokenLifetimeMinutes: 1440",
      "  admin:",
      "    permissions: [mint:self, mint:any, identity:create, token:revoke, identity:delete, identity:read]",
      `    scopes: ${all}`,
      "    maxTokenLifetimeMinutes: 1440",
      // Callers without a token may create identities, one per minute per address.
      "anonymous:",
      "  permissions: [identity:create]",
      "  scopes: []",
      "  maxTokenLifetimeMinutes: 60",
      "  rateLimits: { create: 1 }",
      "",
    ].join("\n"),
  );
  return file;
}

/** A key prefix no other test (or run) uses, so that this file may count and delete its own keys. */
const uniquePrefix = (what: string) => `test-rl-${what}-${process.pid}-${randomBytes(4).toString("hex")}`;

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const keys: string[] = [];
    for await (const batch of client.scanStream({ match: `${prefix}:*`, count: 500 })) keys.push(...batch);
    if (keys.length) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}

let policyDir: string;
beforeAll(() => {
  policyDir = mkdtempSync(path.join(os.tmpdir(), "rate-limits-"));
});
afterAll(() => rmSync(policyDir, { recursive: true, force: true }));

/** The attacks, against one store: counters in memory (`redisUrl` undefined) or in Redis. */
function attacksWithStore(redisUrl: string | undefined) {
  // Behind a trusted proxy (loopback): X-Forwarded-For names the client, so each test picks its own
  // addresses (documentation ranges) and address budgets never leak between tests.
  let proxied: TestService | undefined;
  // Reached directly: X-Forwarded-For is the client's own claim and must be ignored.
  let direct: TestService | undefined;
  // A small service-wide mint budget, on a service (and counters) of its own.
  let budget: TestService | undefined;
  const prefix = uniquePrefix(redisUrl ? "redis" : "memory");

  beforeAll(async () => {
    const storeEnv: Record<string, string> = redisUrl
      ? { REDIS_URL: redisUrl, RATE_LIMIT_KEY_PREFIX: prefix }
      : {};
    // Independent services (own databases, own key prefixes): started together.
    [proxied, direct, budget] = await Promise.all([
      startTestService({
        ...storeEnv,
        TRUST_PROXY: "loopback",
        POLICY_FILE: writePolicy(policyDir),
        RATE_LIMIT_MINT_PER_MINUTE: "2",
        RATE_LIMIT_MINT_PER_MINUTE_PER_ADDRESS: "4",
        RATE_LIMIT_CREATE_PER_MINUTE: "2",
        RATE_LIMIT_REVOKE_PER_MINUTE: "2",
        RATE_LIMIT_DELETE_PER_MINUTE: "2",
      }),
      startTestService({
        ...storeEnv,
        RATE_LIMIT_KEY_PREFIX: `${prefix}-direct`,
        RATE_LIMIT_CREATE_PER_MINUTE_PER_ADDRESS: "3",
      }),
      startTestService({
        ...storeEnv,
        RATE_LIMIT_KEY_PREFIX: `${prefix}-budget`,
        RATE_LIMIT_MINT_PER_MINUTE: "10",
        ACS_QUOTA_MINT_PER_30S: "3",
      }),
    ]);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all([proxied?.stop(), direct?.stop(), budget?.stop()]);
    if (redisUrl)
      await Promise.all(
        ["", "-direct", "-budget"].map((suffix) => deleteKeys(redisUrl!, `${prefix}${suffix}`)),
      );
  });

  const mint = async (subject: string, roles: string[], forwardedFor: string, service = proxied!) =>
    send(
      service,
      op.ISSUE_MY,
      { scopes: ["VOIP_JOIN"] },
      { token: await service.tokenFor(subject, roles), forwardedFor },
    );

  test("per principal: one user exhausts their own limit; another user from the same address passes until the address limit", async () => {
    const address = "203.0.113.1";
    for (let i = 0; i < 2; i++) expect(outcome(await mint("pp-alice", ["user"], address))).toBe("OK");
    await expectRefused([proxied!], () => mint("pp-alice", ["user"], address), PER_PRINCIPAL);
    // alice's refused request did not count against the address: 2 used of 4
    expect(outcome(await mint("pp-bob", ["user"], address))).toBe("OK");
    expect(outcome(await mint("pp-carol", ["user"], address))).toBe("OK");
    await expectRefused([proxied!], () => mint("pp-dave", ["user"], address), PER_ADDRESS);
  });

  test("per address: many principals from one address stop at the address limit; a refused one keeps its own budget", async () => {
    const crowded = "203.0.113.2";
    for (let i = 1; i <= 4; i++) expect(outcome(await mint(`pa-${i}`, ["user"], crowded))).toBe("OK");
    await expectRefused([proxied!], () => mint("pa-5", ["user"], crowded), PER_ADDRESS);
    // From another address pa-5 has its whole per-principal budget (2): the refusal took nothing.
    const elsewhere = "203.0.113.3";
    for (let i = 0; i < 2; i++) expect(outcome(await mint("pa-5", ["user"], elsewhere))).toBe("OK");
    await expectRefused([proxied!], () => mint("pa-5", ["user"], elsewhere), PER_PRINCIPAL);
  });

  test("per address: IPv6 clients count per /64, so picking another address in one's own /64 gives no fresh budget", async () => {
    for (let i = 1; i <= 4; i++)
      expect(outcome(await mint(`v6-${i}`, ["user"], `2001:db8:0:1::${i.toString(16)}`))).toBe("OK");
    await expectRefused(
      [proxied!],
      () => mint("v6-5", ["user"], "2001:db8:0:1:ffff:ffff:ffff:ffff"),
      PER_ADDRESS,
    );
    expect(outcome(await mint("v6-5", ["user"], "2001:db8:0:2::1"))).toBe("OK");
  });

  test.each<[string, string[], number]>([
    ["a role with a higher limit (vip: 3)", ["vip"], 3],
    ["a role with a lower limit (guest: 1)", ["guest"], 1],
    ["several roles take the most generous (guest + vip: 3)", ["guest", "vip"], 3],
    ["a role without its own limit counts as the default (guest + user: 2)", ["guest", "user"], 2],
  ])("per role: %s", async (name, roles, limit) => {
    const subject = `role-${roles.join("-")}`;
    const address = `198.51.100.${roles.length * 10 + limit}`;
    for (let i = 0; i < limit; i++) expect(outcome(await mint(subject, roles, address))).toBe("OK");
    const refused = await expectRefused([proxied!], () => mint(subject, roles, address), PER_PRINCIPAL);
    expect(refused.errors[0].message).toContain(`at most ${limit} per minute`);
  });

  test("create: an identity creator over its limit gets no ACS identity and no row", async () => {
    const token = await proxied!.tokenFor("cr-backend", ["backend"]);
    const create = (owner: string) =>
      send(proxied!, op.CREATE, { owner }, { token, forwardedFor: "192.0.2.10" });
    const created = proxied!.emulator!.stats().identitiesCreated;
    expect(outcome(await create("cr-owner-1"))).toBe("OK");
    expect(outcome(await create("cr-owner-2"))).toBe("OK");
    await expectRefused([proxied!], () => create("cr-owner-3"), /identity creations/);
    expect(proxied!.emulator!.stats().identitiesCreated).toBe(created + 2);
    expect((await proxied!.store.identities.findActiveByOwner("cr-owner-3")) ?? null).toBeNull();
  });

  test("revoke: an owner revoking over the limit makes no ACS call and the identity is not marked", async () => {
    const token = await proxied!.tokenFor("rv-owner", ["user"]);
    const options = { token, forwardedFor: "192.0.2.20" };
    const minted = await send(proxied!, op.ISSUE_MY, { scopes: ["CHAT"] }, options);
    const id = minted.data!.issueMyAccessToken.identity.id as string;
    for (let i = 0; i < 2; i++) expect(outcome(await send(proxied!, op.REVOKE, { id }, options))).toBe("OK");
    const lastRevoked = (await proxied!.store.identities.findById(id))!.tokensRevokedAt;
    await expectRefused([proxied!], () => send(proxied!, op.REVOKE, { id }, options), /token revocations/);
    expect((await proxied!.store.identities.findById(id))!.tokensRevokedAt).toEqual(lastRevoked);
  });

  test("delete: an admin deleting over the limit makes no ACS call and the identity stays", async () => {
    const ids: string[] = [];
    // Three identities, from two creators (each may create two per minute here).
    for (const creator of ["dl-creator-1", "dl-creator-1", "dl-creator-2"]) {
      const token = await proxied!.tokenFor(creator, ["backend"]);
      const sent = await send(proxied!, op.CREATE, {}, { token, forwardedFor: "192.0.2.30" });
      ids.push(sent.data!.createCommunicationIdentity.id as string);
    }
    const token = await proxied!.tokenFor("dl-admin", ["admin"]);
    const remove = (id: string) => send(proxied!, op.DELETE, { id }, { token, forwardedFor: "192.0.2.31" });
    expect(outcome(await remove(ids[0]))).toBe("OK");
    expect(outcome(await remove(ids[1]))).toBe("OK");
    await expectRefused([proxied!], () => remove(ids[2]), /identity deletions/);
    const kept = (await proxied!.store.identities.findById(ids[2]))!;
    expect(kept.deletedAt).toBeNull();
    expect(kept.deletionRequestedAt).toBeNull();
  });

  test("anonymous callers are limited per address, each address on its own", async () => {
    const create = (forwardedFor: string) => send(proxied!, op.CREATE, {}, { forwardedFor });
    expect(outcome(await create("192.0.2.40"))).toBe("OK");
    const refused = await expectRefused([proxied!], () => create("192.0.2.40"), PER_PRINCIPAL);
    expect(refused.errors[0].message).toContain("at most 1 per minute");
    expect(outcome(await create("192.0.2.41"))).toBe("OK");
  });

  test("without TRUST_PROXY a spoofed X-Forwarded-For does not give a fresh address budget", async () => {
    const create = async (i: number) =>
      send(
        direct!,
        op.CREATE,
        {},
        {
          token: await direct!.tokenFor(`spoof-${i}`, ["service"]),
          forwardedFor: `10.9.8.${i}, 172.16.0.${i}`,
        },
      );
    for (let i = 1; i <= 3; i++) expect(outcome(await create(i))).toBe("OK");
    await expectRefused([direct!], () => create(4), PER_ADDRESS);
  });

  test("the service-wide budget stops all callers together below ACS's quota, per 30 seconds", async () => {
    const outcomes: string[] = [];
    for (let i = 1; i <= 3; i++) outcomes.push(outcome(await mint(`sw-${i}`, ["user"], "", budget!)));
    expect(outcomes).toEqual(["OK", "OK", "OK"]);
    await expectRefused([budget!], () => mint("sw-4", ["user"], "", budget!), SERVICE_WIDE, 30);
    if (redisUrl) {
      // The refused caller's own and its address's counters were given back.
      const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      try {
        expect(await client.get(`${prefix}-budget:mint:principal:10:subject:sw-4`)).toBe("0");
        expect(await client.get(`${prefix}-budget:mint:address:120:127.0.0.1`)).toBe("3");
        // sw-4's first mint would have created its identity: the create counters were given back too.
        expect(await client.get(`${prefix}-budget:create:address:60:127.0.0.1`)).toBe("3");
      } finally {
        client.disconnect();
      }
    }
  });
}

describe("with the memory store", () => attacksWithStore(undefined));
describeWithRedis("with the redis store", (url) => attacksWithStore(url()));

describe("a first mint creates the identity, so it spends both quotas, all or nothing", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ RATE_LIMIT_MINT_PER_MINUTE: "5", RATE_LIMIT_CREATE_PER_MINUTE: "1" });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(() => service?.stop());

  test("a mint that would create over the create limit is refused, and its mint point is given back", async () => {
    const token = await service.tokenFor("fm-backend", ["service"]);
    const mintFor = (userId: string) =>
      send(service, op.ISSUE_FOR_USER, { userId, scopes: ["CHAT"] }, { token });
    expect(outcome(await mintFor("fm-user-1"))).toBe("OK"); // mint 1 of 5, create 1 of 1
    const created = service.emulator!.stats().identitiesCreated;
    await expectRefused([service], () => mintFor("fm-user-2"), /identity creations/);
    expect(service.emulator!.stats().identitiesCreated).toBe(created);
    // The refused request took no mint point: four more mints for the existing identity pass.
    for (let i = 0; i < 4; i++) expect(outcome(await mintFor("fm-user-1"))).toBe("OK");
    await expectRefused([service], () => mintFor("fm-user-1"), /token issues/);
  });
});

describeWithRedis("two replicas sharing one Redis", (redisUrl) => {
  let replicas: TestService[] = [];
  const prefix = uniquePrefix("replicas");
  beforeAll(async () => {
    const env = {
      REDIS_URL: redisUrl(),
      RATE_LIMIT_KEY_PREFIX: prefix,
      TRUST_PROXY: "loopback",
      RATE_LIMIT_MINT_PER_MINUTE: "3",
      RATE_LIMIT_MINT_PER_MINUTE_PER_ADDRESS: "5",
      RATE_LIMIT_CREATE_PER_MINUTE: "10",
      ACS_QUOTA_REVOKE_PER_30S: "3",
    };
    replicas = await Promise.all([startTestService(env), startTestService(env)]);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await deleteKeys(redisUrl(), prefix);
  });

  const mintOn = async (i: number, subject: string, address: string) =>
    send(
      replicas[i % 2],
      op.ISSUE_MY,
      { scopes: ["CHAT"] },
      {
        token: await replicas[i % 2].tokenFor(subject, ["user"]),
        forwardedFor: address,
      },
    );

  test("one principal alternating between replicas gets one per-principal limit", async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) outcomes.push(outcome(await mintOn(i, "rep-alice", "203.0.113.50")));
    expect(outcomes).toEqual(["OK", "OK", "OK"]);
    await expectRefused(replicas, () => mintOn(3, "rep-alice", "203.0.113.50"), PER_PRINCIPAL);
    await expectRefused(replicas, () => mintOn(4, "rep-alice", "203.0.113.50"), PER_PRINCIPAL);
  });

  test("many principals from one address alternating between replicas get one per-address limit", async () => {
    for (let i = 0; i < 5; i++) expect(outcome(await mintOn(i, `rep-crowd-${i}`, "203.0.113.51"))).toBe("OK");
    await expectRefused(replicas, () => mintOn(5, "rep-crowd-5", "203.0.113.51"), PER_ADDRESS);
  });

  test("the service-wide budget is one for all replicas", async () => {
    // Each replica here has a database of its own (they share only Redis), so each owner's identity
    // lives on one replica: owner i revokes on replica i % 2. 3 revokes per 30 s in all.
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const minted = await mintOn(i, `rep-owner-${i}`, `203.0.113.${60 + i}`);
      ids.push(minted.data!.issueMyAccessToken.identity.id as string);
    }
    const revoke = async (i: number) =>
      send(
        replicas[i % 2],
        op.REVOKE,
        { id: ids[i % 2] },
        {
          token: await replicas[i % 2].tokenFor(`rep-owner-${i % 2}`, ["user"]),
          forwardedFor: `203.0.113.${62 + i}`,
        },
      );
    for (let i = 0; i < 3; i++) expect(outcome(await revoke(i))).toBe("OK");
    await expectRefused(replicas, () => revoke(3), SERVICE_WIDE, 30);
    await expectRefused(replicas, () => revoke(4), SERVICE_WIDE, 30);
  });
});

describe("when Redis is unreachable", () => {
  let service: TestService;
  // Why each failed operation failed, as the service logged it (the Redis client's own error).
  const failures: string[] = [];
  beforeAll(async () => {
    // Trace, so that the secret sweep still sees every line; only failed operations are kept here.
    const logger = createLogger("trace", {
      write(line: string) {
        if (!line.includes('"operation failed"')) return;
        const entry = JSON.parse(line) as { err?: { cause?: { message?: string } } };
        failures.push(String(entry.err?.cause?.message));
      },
    });
    // Nothing listens on port 1: every command fails.
    service = await startTestService(
      { REDIS_URL: "redis://127.0.0.1:1", RATE_LIMIT_KEY_PREFIX: uniquePrefix("down") },
      { logger },
    );
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(() => service?.stop());

  test("mutations fail closed, fast, with a message that says so: no ACS call, no row", async () => {
    const before = await footprint([service]);
    const sent = await send(
      service,
      op.ISSUE_MY,
      { scopes: ["CHAT"] },
      { token: await service.tokenFor("down-alice", ["user"]) },
    );
    // Fast: the limiter's own bound ended the wait (one retry, or its 2 s command timeout, whichever
    // the reconnect loop reaches first), not Redis coming back nor ioredis's default of 20 retries.
    expect(failures).toEqual([
      expect.stringMatching(/max retries per request limit \(which is 1\)|^Command timed out/),
    ]);
    // Transient, not a bug: SERVICE_UNAVAILABLE with a retry time (INTERNAL means a bug).
    expect(sent.errors.map((e) => e.code)).toEqual(["SERVICE_UNAVAILABLE"]);
    expect(sent.errors[0].message).toMatch(/Rate limits cannot be checked right now/);
    expect(sent.retryAfter).toBe("5");
    expect(await footprint([service])).toEqual(before);
    // Redis is shared by every replica: reported, but it does not take this replica out of rotation.
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { rateLimiter: "failing", database: "ok" } });
  });
});

describe("ACS throttling", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({});
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(() => service?.stop());

  test("ACS_THROTTLED also carries the Retry-After header", async () => {
    service.emulator!.faults.set([{ kind: "throttle", retryAfterSeconds: 7, count: 1 }]);
    const sent = await send(
      service,
      op.ISSUE_MY,
      { scopes: ["CHAT"] },
      { token: await service.tokenFor("thr-alice", ["user"]) },
    );
    expect(sent.errors.map((e) => e.code)).toEqual(["ACS_THROTTLED"]);
    expect(sent.errors[0].extensions.retryAfterSeconds).toBe(7);
    expect(sent.retryAfter).toBe("7");
  });
});

describe("configuration", () => {
  test.each([
    ["ACS_QUOTA_MINT_PER_30S", "1001", "mint"],
    ["ACS_QUOTA_CREATE_PER_30S", "1001", "create"],
    ["ACS_QUOTA_REVOKE_PER_30S", "501", "revoke"],
    ["ACS_QUOTA_DELETE_PER_30S", "501", "delete"],
  ] as const)(
    "a service-wide budget above ACS's default quota (%s=%s) is accepted (quotas can be raised) with a warning naming it",
    (name, value, bucket) => {
      const config = loadConfig({ [name]: value });
      expect(config.acsQuota[bucket]).toBe(Number(value));
      expect(config.warnings).toEqual([
        expect.stringContaining(`${name}=${value} is above ACS's default quota`),
      ]);
    },
  );

  test("ACS's own quotas themselves are accepted", () => {
    const config = loadConfig({
      ACS_QUOTA_MINT_PER_30S: "1000",
      ACS_QUOTA_CREATE_PER_30S: "1000",
      ACS_QUOTA_REVOKE_PER_30S: "500",
      ACS_QUOTA_DELETE_PER_30S: "500",
    });
    // `denial` is not an ACS action: its service-wide ceiling keeps its default.
    expect(config.acsQuota).toEqual({ mint: 1000, create: 1000, revoke: 500, delete: 500, denial: 2700 });
    expect(config.warnings).toEqual([]);
  });
});
