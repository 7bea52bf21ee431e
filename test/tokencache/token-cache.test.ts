// Kept tokens at rest: sealed with AES-256-GCM (keys rotate), and invalidations that refuse every token
// requested before them, in memory and in Redis shared by replicas.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createSealer, createTokenCache, type ClosableTokenCache } from "../../src/tokencache";
import { describeWithRedis } from "../support/redis";

const key = () => randomBytes(32);
const TOKEN = `eyJ${randomBytes(48).toString("base64url")}`;
const ID = "8:acs:00000000-0000-4000-8000-000000000000_1";
const at = (offsetMs: number) => new Date(Date.now() + offsetMs);
const kept = (requestedAt = at(0)) => ({ token: TOKEN, expiresOn: at(3_600_000), requestedAt });

describe("sealing", () => {
  test("seals and opens in place; the sealed text holds nothing of the token", () => {
    const sealer = createSealer([key()]);
    const sealed = sealer.seal(TOKEN, "slot-a");
    expect(sealed).not.toContain(TOKEN.slice(3, 20));
    expect(sealer.open(sealed, "slot-a")).toBe(TOKEN);
  });

  test("opens nowhere else, and not when tampered with", () => {
    const sealer = createSealer([key()]);
    const sealed = sealer.seal(TOKEN, "slot-a");
    expect(sealer.open(sealed, "slot-b")).toBeUndefined();
    const parts = sealed.split(".");
    const body = Buffer.from(parts[3], "base64url");
    body[0] ^= 1;
    parts[3] = body.toString("base64url");
    expect(sealer.open(parts.join("."), "slot-a")).toBeUndefined();
  });

  test("rotation: the new first key seals, old keys still open, a dropped key opens nothing", () => {
    const [oldKey, newKey] = [key(), key()];
    const sealedOld = createSealer([oldKey]).seal(TOKEN, "s");
    const rotated = createSealer([newKey, oldKey]);
    expect(rotated.open(sealedOld, "s")).toBe(TOKEN);
    const sealedNew = rotated.seal(TOKEN, "s");
    expect(createSealer([newKey]).open(sealedNew, "s")).toBe(TOKEN);
    expect(createSealer([newKey]).open(sealedOld, "s")).toBeUndefined();
  });

  test("refuses keys that are not 32 bytes", () => {
    expect(() => createSealer([randomBytes(16)])).toThrow("32-byte");
    expect(() => createSealer([])).toThrow();
  });
});

function invalidationContract(make: () => Promise<ClosableTokenCache>) {
  let cache: ClosableTokenCache;
  let id: string; // one identity per test: a shared Redis keeps state between tests
  beforeEach(async () => {
    cache = await make();
    id = `${ID}${randomBytes(4).toString("hex")}`;
  });
  afterEach(() => cache.close());

  test("keeps a token per identity and slot", async () => {
    await cache.put(id, "chat|60", kept());
    expect((await cache.get(id, "chat|60"))?.token).toBe(TOKEN);
    expect(await cache.get(id, "voip|60")).toBeUndefined();
  });

  test("an invalidation drops kept tokens and refuses any requested before it, even if stored later", async () => {
    const before = kept(at(-1000));
    await cache.put(id, "chat|60", before);
    await cache.invalidate(id, at(0));
    expect(await cache.get(id, "chat|60")).toBeUndefined();
    await cache.put(id, "chat|60", before); // a mint that raced the revoke
    expect(await cache.get(id, "chat|60")).toBeUndefined();
    await cache.put(id, "chat|60", kept(at(1000)));
    expect((await cache.get(id, "chat|60"))?.token).toBe(TOKEN);
  });

  test("an earlier invalidation never moves the line back", async () => {
    await cache.invalidate(id, at(5000));
    await cache.invalidate(id, at(0));
    await cache.put(id, "chat|60", kept(at(1000)));
    expect(await cache.get(id, "chat|60")).toBeUndefined();
  });
}

describe("in memory", () =>
  invalidationContract(async () => createTokenCache({ keys: [key()], redisUrl: undefined, keyPrefix: "t" })));

describeWithRedis("in Redis", (redisUrl) => {
  const url = () => redisUrl();
  const prefix = `token-cache-test-${randomBytes(4).toString("hex")}`;
  invalidationContract(async () => createTokenCache({ keys: [key()], redisUrl: url(), keyPrefix: prefix }));

  test("what Redis holds is sealed: the token is nowhere in it", async () => {
    const cache = createTokenCache({ keys: [key()], redisUrl: url(), keyPrefix: prefix });
    const redis = new Redis(url());
    const id = `${ID}-sealed`;
    try {
      await cache.put(id, "chat|60", kept());
      const stored = await redis.hgetall(`${prefix}:tokens:${id}`);
      expect(Object.keys(stored)).toEqual(["chat|60"]);
      expect(JSON.stringify(stored)).not.toContain(TOKEN.slice(3, 20));
    } finally {
      await cache.close();
      await redis.del(`${prefix}:tokens:${id}`);
      redis.disconnect();
    }
  });

  test("replicas share kept tokens and invalidations", async () => {
    const shared = [key()];
    const [a, b] = [0, 1].map(() =>
      createTokenCache({ keys: shared, redisUrl: url(), keyPrefix: `${prefix}-r` }),
    );
    try {
      await a.put(ID, "chat|60", kept(at(-1000)));
      expect((await b.get(ID, "chat|60"))?.token).toBe(TOKEN);
      await b.invalidate(ID, at(0));
      expect(await a.get(ID, "chat|60")).toBeUndefined();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
