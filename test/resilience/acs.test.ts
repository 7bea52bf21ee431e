// Failing fast on ACS, end to end: the real service over HTTP, the real SDK, the emulator's faults.
// The circuit opens and closes, ACS's Retry-After is honoured locally without holding callers, 5xx and
// broken connections are retried only for requests safe to repeat, and concurrent ACS calls are capped.
import { isRepeatable } from "../../src/acs/throttling-policy";
import * as op from "../support/operations";
import { startTestService, type TestService } from "../support/service";

const codes = (result: { errors: Array<{ code?: string }> }) => result.errors.map((e) => e.code);
const acsRequests = (service: TestService) => service.emulator!.stats().requests;
const detail = async (service: TestService) =>
  (await (await fetch(`${service.url}/readyz/detail`)).json()) as { acs: Record<string, any> };
const metric = async (service: TestService, pattern: RegExp) => {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const match = pattern.exec(text);
  return match ? Number(match[1]) : undefined;
};

/** Repeats `attempt` until it returns true: for conditions that come true with time (a pause ending). */
async function eventually(attempt: () => Promise<boolean>, what: string, limitMs = 30_000) {
  const started = Date.now();
  while (!(await attempt())) {
    if (Date.now() - started > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the circuit breaker", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({
      ACS_BREAKER_FAILURES: "3",
      ACS_BREAKER_OPEN_SECONDS: "2",
      ACS_MAX_RETRIES: "1",
      RATE_LIMIT_MINT_PER_MINUTE: "1000",
    });
  });
  afterEach(() => service.emulator!.faults.clear());
  afterAll(() => service?.stop());

  test("opens after consecutive outages, then refuses without calling ACS, and closes after a successful probe", async () => {
    const alice = await service.as("breaker-alice", ["user"]);
    expect((await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors).toEqual([]);
    service.emulator!.faults.set([{ kind: "unavailable", ratio: 1 }]);

    // 20 mints in a row against a failing ACS: 3 reach it (each retried once: a mint is safe to
    // repeat), then the circuit is open and the others are refused here, but for one probe per open
    // period of 2 s. Without the breaker ACS would get 40 requests.
    const before = acsRequests(service);
    const started = Date.now();
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] }));
    const openPeriods = Math.ceil((Date.now() - started) / 2_000);
    expect(results.flatMap(codes)).toEqual(Array(20).fill("ACS_UNAVAILABLE"));
    const sent = acsRequests(service) - before;
    expect(sent % 2).toBe(0);
    const reached = sent / 2;
    expect(reached).toBeGreaterThanOrEqual(3);
    expect(reached).toBeLessThanOrEqual(3 + openPeriods);
    const refused = results.filter((r) => r.errors[0].message.includes("paused"));
    expect(refused).toHaveLength(20 - reached);
    expect(refused.every((r) => (r.errors[0].extensions.retryAfterSeconds as number) >= 1)).toBe(true);
    expect(
      await metric(
        service,
        /^acs_calls_total\{operation="issueToken",outcome="refused_circuit_open"\} (\d+)$/m,
      ),
    ).toBe(20 - reached);
    expect((await detail(service)).acs.circuit).toBe("open");
    expect(await metric(service, /^acs_circuit_state (\d+)$/m)).toBe(1);

    // ACS recovers. Calls are refused until the pause is over; then one probe goes through and closes it.
    service.emulator!.faults.clear();
    const beforeProbe = acsRequests(service);
    await eventually(
      async () => (await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors.length === 0,
      "the circuit closes",
    );
    expect(acsRequests(service) - beforeProbe).toBe(1);
    expect((await detail(service)).acs).toMatchObject({ circuit: "closed", consecutiveFailures: 0 });
    expect(await metric(service, /^acs_circuit_state (\d+)$/m)).toBe(0);
  });

  test("a failed probe opens the circuit again at once", async () => {
    const bob = await service.as("breaker-bob", ["user"]);
    await eventually(
      async () => (await bob.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors.length === 0,
      "a first mint",
    );
    service.emulator!.faults.set([{ kind: "unavailable", ratio: 1 }]);
    for (let i = 0; i < 3; i++) await bob.request(op.ISSUE_MY, { scopes: ["CHAT"] });
    expect((await detail(service)).acs.circuit).toBe("open");
    // Wait for the probe: the first call that reaches ACS again.
    let before = acsRequests(service);
    await eventually(async () => {
      before = acsRequests(service);
      await bob.request(op.ISSUE_MY, { scopes: ["CHAT"] });
      return acsRequests(service) > before;
    }, "a probe reaches ACS");
    expect((await detail(service)).acs.circuit).toBe("open");
    const afterProbe = acsRequests(service);
    expect(codes(await bob.request(op.ISSUE_MY, { scopes: ["CHAT"] }))).toEqual(["ACS_UNAVAILABLE"]);
    expect(acsRequests(service)).toBe(afterProbe);
    service.emulator!.faults.clear();
    await eventually(
      async () => (await bob.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors.length === 0,
      "the circuit closes",
    );
  });
});

describe("ACS's Retry-After", () => {
  const PAUSE_S = 3600;
  let service: TestService;
  beforeAll(async () => {
    // ACS asks for a pause of an hour (PAUSE_S): a service that waited it out would not answer within
    // the test's timeout, nor within its own ACS timeout (which would answer without the hour).
    service = await startTestService({ ACS_TIMEOUT_MS: "60000", ACS_MAX_RETRIES: "2" });
  });
  afterEach(() => service.emulator!.faults.clear());
  afterAll(() => service?.stop());

  test("a 429 answers at once and pauses only the throttled operation, without calling ACS", async () => {
    const alice = await service.as("paused-alice", ["user"]);
    const admin = await service.as("paused-ops", ["admin"]);
    const minted = await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] });
    const id = minted.data!.issueMyAccessToken.identity.id;
    service.emulator!.faults.set([{ kind: "throttle", retryAfterSeconds: PAUSE_S, count: 1 }]);
    const asked = acsRequests(service);
    const throttled = await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] });
    expect(codes(throttled)).toEqual(["ACS_THROTTLED"]);
    expect(throttled.errors[0].extensions.retryAfterSeconds).toBe(PAUSE_S);
    expect(acsRequests(service) - asked).toBe(1); // not retried: ACS asked for a pause

    const before = acsRequests(service);
    const held = await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] });
    expect(codes(held)).toEqual(["ACS_THROTTLED"]);
    expect(held.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    expect(held.errors[0].extensions.retryAfterSeconds).toBeLessThanOrEqual(PAUSE_S);
    expect(acsRequests(service)).toBe(before);
    // ACS quotas are per operation: revoking is not paused.
    expect((await admin.request(op.REVOKE, { id })).errors).toEqual([]);
    expect(Object.keys((await detail(service)).acs.pausedUntil)).toEqual(["issueToken"]);
  });

  test("a 503 with Retry-After answers at once, is not retried, and pauses every operation", async () => {
    const admin = await service.as("paused-ops", ["admin"]);
    const created = await admin.request(op.CREATE, { owner: "paused-carol" });
    const id = created.data!.createCommunicationIdentity.id;
    service.emulator!.faults.set([{ kind: "unavailable", retryAfterSeconds: PAUSE_S }]);
    const before = acsRequests(service);
    const failed = await admin.request(op.REVOKE, { id });
    expect(codes(failed)).toEqual(["ACS_UNAVAILABLE"]);
    expect(failed.errors[0].extensions.retryAfterSeconds).toBe(PAUSE_S);
    expect(acsRequests(service) - before).toBe(1); // not retried: ACS asked for a pause

    // Every operation waits, here, with the time left in the header too.
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await service.tokenFor("paused-ops", ["admin"])}`,
      },
      body: JSON.stringify({ query: op.CREATE, variables: { owner: "paused-dave" } }),
    });
    const body = (await response.json()) as { errors: Array<{ extensions: Record<string, any> }> };
    expect(body.errors[0].extensions.code).toBe("ACS_UNAVAILABLE");
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(response.headers.get("retry-after"))).toBeLessThanOrEqual(PAUSE_S);
    expect(acsRequests(service) - before).toBe(1);
    expect((await detail(service)).acs.pausedUntil).toHaveProperty("all");
  });
});

describe("SDK retries", () => {
  let service: TestService;
  beforeAll(async () => {
    // Creates without customId (the setting for a real ACS resource without the preview API).
    service = await startTestService({
      ACS_MAX_RETRIES: "2",
      RATE_LIMIT_MINT_PER_MINUTE: "1000",
      ACS_CUSTOM_ID: "false",
    });
  });
  afterEach(() => service.emulator!.faults.clear());
  afterAll(() => service?.stop());

  test("with customId (the emulator's default) a create is repeat-safe: retried through 503s, one identity", async () => {
    const withCustomId = await startTestService({ ACS_MAX_RETRIES: "2", RATE_LIMIT_MINT_PER_MINUTE: "1000" });
    try {
      const newcomer = await withCustomId.as("retry-custom-id", ["user"]);
      withCustomId.emulator!.faults.set([{ kind: "unavailable", method: "POST", count: 2 }]);
      const created = withCustomId.emulator!.stats().identitiesCreated;
      const result = await newcomer.request(op.ISSUE_MY, { scopes: ["CHAT"] });
      expect(result.errors).toEqual([]);
      expect(withCustomId.emulator!.stats().identitiesCreated - created).toBe(1);
    } finally {
      await withCustomId.stop();
    }
  });

  test("a create without customId is sent once on a 503 or a dropped connection: never twice", async () => {
    const newcomer = await service.as("retry-newcomer", ["user"]);
    service.emulator!.faults.set([{ kind: "unavailable", method: "POST", count: 3 }]);
    let before = acsRequests(service);
    expect(codes(await newcomer.request(op.ISSUE_MY, { scopes: ["CHAT"] }))).toEqual(["ACS_UNAVAILABLE"]);
    expect(acsRequests(service) - before).toBe(1);
    expect(service.emulator!.faults.list()).toMatchObject([{ count: 2 }]);

    service.emulator!.faults.set([{ kind: "drop", method: "POST", count: 1 }]);
    const created = service.emulator!.stats().identitiesCreated;
    before = acsRequests(service);
    expect(codes(await newcomer.request(op.ISSUE_MY, { scopes: ["CHAT"] }))).toEqual(["ACS_UNAVAILABLE"]);
    expect(acsRequests(service) - before).toBe(1);
    expect(service.emulator!.stats().identitiesCreated).toBe(created);
  });

  test("requests safe to repeat (a mint, a revoke) are retried through 503s and dropped connections", async () => {
    const alice = await service.as("retry-alice", ["user"]);
    const admin = await service.as("retry-ops", ["admin"]);
    const id = (await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).data!.issueMyAccessToken.identity.id;
    service.emulator!.faults.set([{ kind: "unavailable", count: 2 }]);
    const before = acsRequests(service);
    expect((await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors).toEqual([]);
    expect(acsRequests(service) - before).toBe(3);
    service.emulator!.faults.set([{ kind: "drop", count: 1 }]);
    expect((await admin.request(op.REVOKE, { id })).errors).toEqual([]);
  });

  test("which requests count as safe to repeat", () => {
    const url = (path: string) => `https://acs.example/${path}?api-version=2025-06-30`;
    expect(
      isRepeatable({ method: "POST", url: url("identities"), body: '{"createTokenWithScopes":[]}' }),
    ).toBe(false);
    expect(isRepeatable({ method: "POST", url: url("identities"), body: '{"customId":"u-1"}' })).toBe(true);
    expect(
      isRepeatable({ method: "POST", url: url("identities/8:acs:x/:issueAccessToken"), body: "{}" }),
    ).toBe(true);
    expect(isRepeatable({ method: "POST", url: url("identities/8:acs:x/:revokeAccessTokens") })).toBe(true);
    expect(isRepeatable({ method: "DELETE", url: url("identities/8:acs:x") })).toBe(true);
  });
});

describe("the cap on concurrent ACS calls", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({
      ACS_MAX_CONCURRENCY: "2",
      ACS_MAX_QUEUE: "1",
      ACS_TIMEOUT_MS: "30000",
    });
  });
  afterEach(() => service.emulator!.faults.clear());
  afterAll(() => service?.stop());

  test("beyond the slots and the queue, calls are refused at once; the pool is reported", async () => {
    const admin = await service.as("pool-ops", ["admin"]);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push((await admin.request(op.CREATE, { owner: `pool-${i}` })).data!.createCommunicationIdentity.id);
    service.emulator!.faults.set([{ kind: "latency", latencyMs: 3_000 }]);
    const revokes = ids.map((id) => admin.request(op.REVOKE, { id }));
    await eventually(async () => {
      const { acs } = await detail(service);
      return acs.inFlight === 2 && acs.waiting === 1;
    }, "two calls in flight and one waiting");
    expect(await metric(service, /^acs_pool_in_use (\d+)$/m)).toBe(2);
    expect(await metric(service, /^acs_pool_waiting (\d+)$/m)).toBe(1);
    const results = await Promise.all(revokes);
    expect(results.filter((r) => r.errors.length === 0)).toHaveLength(3);
    const refused = results.filter((r) => r.errors.length > 0);
    expect(refused.flatMap(codes)).toEqual(["ACS_UNAVAILABLE", "ACS_UNAVAILABLE", "ACS_UNAVAILABLE"]);
    expect(refused.every((r) => r.errors[0].message.startsWith("Too many requests are waiting"))).toBe(true);
    expect(
      await metric(
        service,
        /^acs_calls_total\{operation="revokeTokens",outcome="refused_pool_full"\} (\d+)$/m,
      ),
    ).toBe(3);
  });
});
