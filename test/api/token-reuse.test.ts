// Quota-aware token reuse end to end: the real server, the SDK and the emulator, which counts the tokens
// it issues and says whether a token is still valid. A token handed out after its revoke is a defect.
import { randomBytes } from "node:crypto";
import { validateEmulatorToken } from "../../src/emulator/admin-client";
import { describeWithPostgres } from "../support/postgres";
import { describeWithRedis } from "../support/redis";
import { startTestService, type TestService } from "../support/service";
import * as op from "../support/operations";

const reuseKey = () => randomBytes(32).toString("base64");
const REUSE = {
  TOKEN_REUSE: "true",
  RATE_LIMIT_MINT_PER_MINUTE: "1000",
  RATE_LIMIT_REVOKE_PER_MINUTE: "1000",
};
const issued = (service: TestService) => service.emulator!.stats().tokensIssued;
const valid = async (service: TestService, token: string) =>
  (await validateEmulatorToken(service.emulator!.endpoint, token)).valid;

describe("one process, kept in memory", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ ...REUSE, TOKEN_REUSE_KEYS: reuseKey() });
  });
  afterAll(() => service?.stop());

  test("the same request again is answered with the kept token: no ACS call", async () => {
    const alice = await service.as("reuse-alice", ["user"]);
    const first = (await alice.request(op.ISSUE_MY, { scopes: ["CHAT", "VOIP"], minutes: 120 })).data!;
    const before = issued(service);
    const again = (await alice.request(op.ISSUE_MY, { scopes: ["VOIP", "CHAT"], minutes: 120 })).data!;
    expect(again.issueMyAccessToken.token).toBe(first.issueMyAccessToken.token);
    expect(issued(service)).toBe(before);
    // Other scopes or another lifetime are another request: a fresh token.
    const other = (await alice.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 120 })).data!;
    expect(other.issueMyAccessToken.token).not.toBe(first.issueMyAccessToken.token);
    expect(issued(service)).toBe(before + 1);
  });

  test("after a revoke the next mint is fresh and valid, and the kept one is not handed out", async () => {
    const bob = await service.as("reuse-bob", ["user"]);
    const first = (await bob.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 60 })).data!
      .issueMyAccessToken;
    const revoked = await bob.request(op.REVOKE, { id: first.identity.id });
    expect(revoked.errors).toEqual([]);
    expect(await valid(service, first.token)).toBe(false);
    const next = (await bob.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 60 })).data!.issueMyAccessToken;
    expect(next.token).not.toBe(first.token);
    expect(await valid(service, next.token)).toBe(true);
  });

  test("mints racing revokes: no token handed out after its revoke completed is invalid", async () => {
    const carol = await service.as("reuse-carol", ["user"]);
    const { identity } = (await carol.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 60 })).data!
      .issueMyAccessToken;
    for (let round = 0; round < 15; round++) {
      const mints = Array.from({ length: 4 }, () =>
        carol.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 60 }),
      );
      const revoke = await carol.request(op.REVOKE, { id: identity.id });
      expect(revoke.errors).toEqual([]);
      await Promise.all(mints);
      const after = (await carol.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 60 })).data!
        .issueMyAccessToken;
      expect(await valid(service, after.token)).toBe(true);
    }
  });

  test("a deleted identity's kept token is never handed out: its owner gets a new identity", async () => {
    const dave = await service.as("reuse-dave", ["user"]);
    const admin = await service.as("reuse-admin", ["admin"]);
    const first = (await dave.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 60 })).data!
      .issueMyAccessToken;
    expect((await admin.request(op.DELETE, { id: first.identity.id })).errors).toEqual([]);
    const next = (await dave.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 60 })).data!
      .issueMyAccessToken;
    expect(next.identity.id).not.toBe(first.identity.id);
    expect(await valid(service, next.token)).toBe(true);
  });
});

test("reuse is off by default: every mint goes to ACS", async () => {
  const service = await startTestService();
  try {
    const erin = await service.as("reuse-off", ["user"]);
    await erin.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 60 });
    const before = issued(service);
    const again = await erin.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 60 });
    expect(again.errors).toEqual([]);
    expect(issued(service)).toBe(before + 1);
  } finally {
    await service.stop();
  }
});

describe("limits with reuse on: a mint spends each limit once, a kept token none of ACS's", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({
      ...REUSE,
      TOKEN_REUSE_KEYS: reuseKey(),
      RATE_LIMIT_MINT_PER_MINUTE: "2",
      ACS_QUOTA_MINT_PER_30S: "3",
    });
  });
  afterAll(() => service?.stop());

  const outcome = async (subject: string, scopes: string[]) => {
    const result = await (await service.as(subject, ["user"])).request(op.ISSUE_MY, { scopes, minutes: 60 });
    return result.errors[0]?.message ?? "OK";
  };

  test("the caller's own limit counts every mint once; the service-wide quota only fresh tokens", async () => {
    // A first mint (new identity), then a fresh one with other scopes: 2 of the caller's 2.
    expect(await outcome("limits-alice", ["CHAT"])).toBe("OK");
    expect(await outcome("limits-alice", ["VOIP"])).toBe("OK");
    // A kept token still counts against the caller's own limit.
    expect(await outcome("limits-alice", ["CHAT"])).toMatch(/at most 2 per minute/);
    // Bob's first mint is ACS's third token; his repeat is answered from the kept one, spending no quota.
    expect(await outcome("limits-bob", ["CHAT"])).toBe("OK");
    expect(await outcome("limits-bob", ["CHAT"])).toBe("OK");
    expect(service.emulator!.stats().tokensIssued).toBe(3);
    // The service-wide quota is spent by the three fresh tokens alone.
    expect(await outcome("limits-carol", ["CHAT"])).toMatch(/across all callers/);
    expect(service.emulator!.stats().tokensIssued).toBe(3);
  });
});

describeWithPostgres("two replicas sharing PostgreSQL", (database) => {
  describeWithRedis("and Redis", (redisUrl) => {
    let replicas: TestService[] = [];
    beforeAll(async () => {
      const shared = {
        ...REUSE,
        TOKEN_REUSE_KEYS: reuseKey(),
        REDIS_URL: redisUrl(),
        RATE_LIMIT_KEY_PREFIX: `reuse-${randomBytes(4).toString("hex")}`,
      };
      const postgres = { kind: "postgres" as const, url: database().url, poolSize: 5 };
      const first = await startTestService(shared, { database: postgres });
      const second = await startTestService(
        { ...shared, ACS_CONNECTION_STRING: first.emulator!.connectionString, AUTH_ALLOW_DEV_TOKENS: "true" },
        { database: postgres, dataDir: first.config.dataDir },
      );
      replicas = [first, second];
    });
    afterAll(async () => {
      for (const replica of replicas.reverse()) await replica.stop();
    });

    test("a token kept by one replica is reused by the other, and a revoke on either reaches both", async () => {
      const [a, b] = replicas;
      const onA = await a.as("reuse-frank", ["user"]);
      const onB = await b.as("reuse-frank", ["user"]);
      const first = (await onA.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 60 })).data!
        .issueMyAccessToken;
      const before = issued(a);
      const fromB = (await onB.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 60 })).data!
        .issueMyAccessToken;
      expect(fromB.token).toBe(first.token);
      expect(issued(a)).toBe(before);

      expect((await onB.request(op.REVOKE, { id: first.identity.id })).errors).toEqual([]);
      const fromA = (await onA.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 60 })).data!
        .issueMyAccessToken;
      expect(fromA.token).not.toBe(first.token);
      expect(await valid(a, fromA.token)).toBe(true);
    });
  });
});
