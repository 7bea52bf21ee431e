// Per-caller quotas protect the shared ACS budget: RATE_LIMITED with retryAfterSeconds.
// The attack cases (per address, per role, every bucket, spoofed addresses) are in test/security.
import { Redis } from "ioredis";
import { randomBytes } from "node:crypto";
import { describeWithRedis } from "../support/redis";
import { startTestService, type TestService } from "../support/service";
import * as op from "../support/operations";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

const codes = (result: { errors: Array<{ code?: string }> }) => result.errors.map((e) => e.code);

describe("in memory (one process)", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ RATE_LIMIT_MINT_PER_MINUTE: "3" });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(() => service?.stop());

  test("a caller over their mint quota gets RATE_LIMITED, others are unaffected", async () => {
    const alice = await service.as("alice", ["user"]);
    for (let i = 0; i < 3; i++)
      expect((await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors).toEqual([]);
    const limited = await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] });
    expect(codes(limited)).toEqual(["RATE_LIMITED"]);
    expect(limited.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    expect(limited.errors[0].extensions.retryAfterSeconds).toBeLessThanOrEqual(60);
    const bob = await service.as("bob", ["user"]);
    expect((await bob.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors).toEqual([]);
    // Operators see the refusal, by bucket.
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/^rate_limit_refusals_total\{bucket="mint"\} 1$/m);
  });
});

describe("the service-wide ACS quota", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ RATE_LIMIT_MINT_PER_MINUTE: "10", ACS_QUOTA_MINT_PER_30S: "3" });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(() => service?.stop());

  test("many callers together stop below ACS's quota with RATE_LIMITED, and a refused call costs its caller nothing", async () => {
    const callers = await Promise.all(
      ["q1", "q2", "q3", "q4"].map((subject) => service.as(subject, ["user"])),
    );
    const outcomes: string[] = [];
    for (const caller of callers) {
      const result = await caller.request(op.ISSUE_MY, { scopes: ["CHAT"] });
      outcomes.push(result.errors[0]?.code ?? "OK");
      if (result.errors.length) {
        expect(result.errors[0].message).toMatch(/across all callers/);
        expect(result.errors[0].extensions.retryAfterSeconds).toBeLessThanOrEqual(30);
      }
    }
    expect(outcomes).toEqual(["OK", "OK", "OK", "RATE_LIMITED"]);
    expect(service.emulator!.stats().tokensIssued).toBe(3);
  });
});

describeWithRedis("in Redis (shared by replicas)", (url) => {
  // Other tests share this Redis: count under our own prefix and delete only our keys.
  const prefix = `test-api-rl-${process.pid}-${randomBytes(4).toString("hex")}`;
  let replicas: TestService[] = [];
  beforeAll(async () => {
    const env = { REDIS_URL: url(), RATE_LIMIT_KEY_PREFIX: prefix, RATE_LIMIT_MINT_PER_MINUTE: "4" };
    replicas = await Promise.all([startTestService(env), startTestService(env)]);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    const client = new Redis(url(), { maxRetriesPerRequest: 1 });
    try {
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length) await client.del(...keys);
    } finally {
      client.disconnect();
    }
  });

  test("two replicas enforce one limit", async () => {
    const subject = "shared-alice"; // the key prefix is this run's own
    const clients = await Promise.all(replicas.map((r) => r.as(subject, ["user"])));
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const result = await clients[i % 2].request(op.ISSUE_MY, { scopes: ["CHAT"] });
      outcomes.push(result.errors[0]?.code ?? "OK");
    }
    expect(outcomes).toEqual(["OK", "OK", "OK", "OK", "RATE_LIMITED", "RATE_LIMITED"]);
  });
});
