// Unit layer: the three quotas of createRateLimiter (src/ratelimit), in memory, driven directly. The
// end-to-end attack cases over HTTP, in memory and in Redis, are test/security/rate-limits.test.ts.
import { AppError, ErrorCode } from "../../src/errors";
import type { Caller } from "../../src/identity/caller";
import { createRateLimiter, type RateLimitSettings } from "../../src/ratelimit";

type Limits = RateLimitSettings["rateLimits"];
const all = (n: number): Limits => ({ mint: n, create: n, revoke: n, delete: n, denial: n });

function limiter(overrides: Partial<RateLimitSettings> = {}) {
  return createRateLimiter({
    rateLimits: all(100),
    rateLimitsPerAddress: all(1000),
    acsQuota: all(1000),
    redisUrl: undefined,
    rateLimitKeyPrefix: "unit",
    ...overrides,
  });
}

/** A caller whose roles set these per-minute limits ({} for a role that sets none). */
function caller(
  subject: string | null,
  clientAddress: string | null = "192.0.2.1",
  roleRateLimits: Array<Partial<Limits>> = [{}],
): Caller {
  return {
    subject,
    clientAddress,
    requestId: null,
    effective: {
      permissions: new Set(),
      scopes: new Set(),
      maxTokenLifetimeMinutes: 60,
      roleRateLimits,
    },
  };
}

/** "OK", or the refusal's code and retry, so a sequence of attempts reads as one expectation. */
async function attempt(
  rl: ReturnType<typeof limiter>,
  bucket: Parameters<ReturnType<typeof limiter>["consume"]>[0],
  who: Caller,
): Promise<string> {
  try {
    await rl.consume(bucket, who);
    return "OK";
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return error.code;
  }
}

async function refusal(rl: ReturnType<typeof limiter>, bucket: "mint" | "create", who: Caller) {
  const error = await rl.consume(bucket, who).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

test("per principal: a subject stops at its limit with RATE_LIMITED and a retry within the minute; others go on", async () => {
  const rl = limiter({ rateLimits: all(2) });
  const alice = caller("alice");
  expect([await attempt(rl, "mint", alice), await attempt(rl, "mint", alice)]).toEqual(["OK", "OK"]);
  const refused = await refusal(rl, "mint", alice);
  expect(refused.code).toBe(ErrorCode.RATE_LIMITED);
  expect(refused.message).toMatch(/at most 2 per minute/);
  expect(refused.details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  expect(refused.details.retryAfterSeconds).toBeLessThanOrEqual(60);
  expect(await attempt(rl, "mint", caller("bob"))).toBe("OK");
  // Buckets are separate: alice may still create.
  expect(await attempt(rl, "create", alice)).toBe("OK");
});

test("per principal: the most generous of the caller's roles sets the limit; a role without one uses the default", async () => {
  const rl = limiter({ rateLimits: all(1) });
  const generous = caller("svc", "192.0.2.2", [{ mint: 3 }, { mint: 2 }]);
  const outcomes = [];
  for (let i = 0; i < 4; i++) outcomes.push(await attempt(rl, "mint", generous));
  expect(outcomes).toEqual(["OK", "OK", "OK", "RATE_LIMITED"]);
  const plain = caller("plain", "192.0.2.3", [{ create: 5 }]); // sets no mint limit: default 1
  expect([await attempt(rl, "mint", plain), await attempt(rl, "mint", plain)]).toEqual([
    "OK",
    "RATE_LIMITED",
  ]);
});

test("anonymous callers count per address, with IPv6 counted per /64 and mapped IPv4 as IPv4", async () => {
  const rl = limiter({ rateLimits: all(1) });
  expect(await attempt(rl, "mint", caller(null, "2001:db8:1:2::1"))).toBe("OK");
  expect(await attempt(rl, "mint", caller(null, "2001:db8:1:2:ffff::9"))).toBe("RATE_LIMITED"); // same /64
  expect(await attempt(rl, "mint", caller(null, "2001:db8:1:3::1"))).toBe("OK"); // another /64
  expect(await attempt(rl, "mint", caller(null, "198.51.100.7"))).toBe("OK");
  expect(await attempt(rl, "mint", caller(null, "::ffff:198.51.100.7"))).toBe("RATE_LIMITED");
  // A subject never shares a counter with an anonymous address, whatever it is called.
  expect(await attempt(rl, "mint", caller("198.51.100.7", "203.0.113.9"))).toBe("OK");
});

test("per address: many subjects from one address stop at the address limit", async () => {
  const rl = limiter({ rateLimitsPerAddress: all(3) });
  const outcomes = [];
  for (let i = 0; i < 4; i++) outcomes.push(await attempt(rl, "create", caller(`crowd-${i}`, "192.0.2.50")));
  expect(outcomes).toEqual(["OK", "OK", "OK", "RATE_LIMITED"]);
  const refused = await refusal(rl, "create", caller("crowd-9", "192.0.2.50"));
  expect(refused.message).toMatch(/from your network address: at most 3 per minute/);
  expect(await attempt(rl, "create", caller("elsewhere", "192.0.2.51"))).toBe("OK");
});

test("service-wide: everyone together stops at the ACS budget, with a retry within its 30 s window", async () => {
  const rl = limiter({ acsQuota: all(2) });
  expect(await attempt(rl, "mint", caller("a", "192.0.2.60"))).toBe("OK");
  expect(await attempt(rl, "mint", caller("b", "192.0.2.61"))).toBe("OK");
  const refused = await refusal(rl, "mint", caller("c", "192.0.2.62"));
  expect(refused.code).toBe(ErrorCode.RATE_LIMITED);
  expect(refused.message).toMatch(/across all callers/);
  expect(refused.details.retryAfterSeconds).toBeLessThanOrEqual(30);
});

test("a refused request gives back what the quotas before the refusing one took", async () => {
  // create: 1 per principal; mint: 1 for the whole service. alice's first mint spends the service's.
  const rl = limiter({ rateLimits: { ...all(100), create: 1 }, acsQuota: { ...all(100), mint: 1 } });
  const alice = caller("alice", "192.0.2.70");
  expect(await attempt(rl, "mint", alice)).toBe("OK");
  // A first mint for bob creates his identity too: create passes, mint is refused service-wide...
  const bob = caller("bob", "192.0.2.71");
  expect(await attempt(rl, ["create", "mint"], bob)).toBe("RATE_LIMITED");
  // ...and bob's create point came back: his one create of the minute is still there, once.
  expect(await attempt(rl, "create", bob)).toBe("OK");
  expect(await attempt(rl, "create", bob)).toBe("RATE_LIMITED");
});

test("without Redis, ping and close do nothing and succeed", async () => {
  const rl = limiter();
  await expect(rl.ping()).resolves.toBeUndefined();
  await expect(rl.close()).resolves.toBeUndefined();
});
