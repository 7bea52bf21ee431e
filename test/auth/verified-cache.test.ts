// The cache of verified bearer tokens, around the real verifier and the development issuer: a token is
// verified once and then answered from the cache, never past its `exp` or the cache's maximum age;
// refusals are never kept, and a changed token is a different entry.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  createBearerVerifier,
  loadOrCreateDevIssuer,
  withVerifiedCache,
  type BearerVerifier,
  type DevIssuer,
} from "../../src/auth";
import { loadConfig } from "../../src/config";

let dir: string;
let issuer: DevIssuer;
let real: BearerVerifier;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "verified-cache-"));
  issuer = await loadOrCreateDevIssuer(dir);
  real = createBearerVerifier(loadConfig({ AUTH_ALLOW_DEV_TOKENS: "true" }).auth, issuer);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real verifier behind a cache with a settable clock; `verified` counts what reached the verifier. */
function cached(maxAgeMs = 60_000) {
  const clock = { now: Date.now() };
  const seen = { verified: 0 };
  const counting: BearerVerifier = {
    authenticate: (header) => {
      seen.verified += 1;
      return real.authenticate(header);
    },
  };
  const verifier = withVerifiedCache(counting, {
    max: 100,
    maxAgeMs,
    maxHeaderLength: 20_000,
    now: () => clock.now,
  });
  return { verifier, clock, seen };
}

test("a token is verified once, then answered from the cache with the same principal", async () => {
  const { verifier, seen } = cached();
  const header = `Bearer ${await issuer.sign({ sub: "alice", roles: ["user"] })}`;
  const first = await verifier.authenticate(header);
  const second = await verifier.authenticate(header);
  expect(first).toMatchObject({ subject: "alice", roles: ["user"] });
  expect(second).toEqual(first);
  expect(seen.verified).toBe(1);
  // Shared between requests, so nobody may change it.
  expect(Object.isFrozen(second) && Object.isFrozen(second.roles)).toBe(true);
});

test("never past the token's exp, nor past the cache's maximum age", async () => {
  const { verifier, clock, seen } = cached(10 * 60_000);
  const header = `Bearer ${await issuer.sign({ sub: "bob", roles: ["user"], ttlSeconds: 120 })}`;
  await verifier.authenticate(header);
  clock.now += 119_000;
  await verifier.authenticate(header);
  expect(seen.verified).toBe(1);
  clock.now += 2_000; // past exp by the cache's clock: verified again (the real one still accepts it)
  await verifier.authenticate(header);
  expect(seen.verified).toBe(2);

  const aged = cached(1_000);
  const long = `Bearer ${await issuer.sign({ sub: "carol", roles: ["user"] })}`;
  await aged.verifier.authenticate(long);
  aged.clock.now += 1_001;
  await aged.verifier.authenticate(long);
  expect(aged.seen.verified).toBe(2);
});

test("refusals are never kept, and any change to the token is another entry", async () => {
  const { verifier, seen } = cached();
  const token = await issuer.sign({ sub: "dave", roles: ["user"] });
  const tampered = `Bearer ${token.slice(0, -4)}AAAA`;
  await expect(verifier.authenticate(tampered)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  await expect(verifier.authenticate(tampered)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  expect(seen.verified).toBe(2);
  await verifier.authenticate(`Bearer ${token}`);
  await expect(verifier.authenticate(tampered)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  expect(seen.verified).toBe(4);
  expect(await verifier.authenticate(undefined)).toMatchObject({ subject: null });
});
