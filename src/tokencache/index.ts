// Kept ACS tokens for quota-aware reuse (the core's TokenCache port): in memory for one process, in
// Redis when replicas share them, sealed with AES-256-GCM either way. An adapter like ratelimit: may
// import config types, errors and the identity core's vocabulary.
import type { Redis as RedisClient } from "ioredis";
import type { CachedToken, TokenCache } from "../identity/ports";
import { createSealer, type Sealer } from "./seal";

export { createSealer } from "./seal";

export interface TokenCacheSettings {
  keys: readonly Buffer[];
  /** Redis shares kept tokens and invalidations across replicas; absent: this process only. */
  redisUrl: string | undefined;
  keyPrefix: string;
}

export interface ClosableTokenCache extends TokenCache {
  close(): Promise<void>;
}

// Longer than any ACS token lives (24 h), so an invalidation outlives every token it refuses.
const INVALIDATION_TTL_MS = 25 * 60 * 60 * 1000;
const REVOKED = "revokedAt";

interface Entry {
  sealed: string;
  expiresOnMs: number;
  requestedAtMs: number;
}

const encode = (entry: Entry) => JSON.stringify(entry);
const decode = (text: string | null | undefined): Entry | undefined => {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Entry;
  } catch {
    return undefined;
  }
};

export function createTokenCache(settings: TokenCacheSettings): ClosableTokenCache {
  const sealer = createSealer(settings.keys);
  return settings.redisUrl ? redisCache(settings.redisUrl, settings.keyPrefix, sealer) : memoryCache(sealer);
}

function unseal(
  sealer: Sealer,
  identityId: string,
  slot: string,
  entry: Entry | undefined,
  revokedAtMs: number,
) {
  if (!entry || entry.requestedAtMs <= revokedAtMs || entry.expiresOnMs <= Date.now()) return undefined;
  const token = sealer.open(entry.sealed, `${identityId}|${slot}`);
  return token === undefined
    ? undefined
    : ({
        token,
        expiresOn: new Date(entry.expiresOnMs),
        requestedAt: new Date(entry.requestedAtMs),
      } as CachedToken);
}

function sealEntry(sealer: Sealer, identityId: string, slot: string, token: CachedToken): Entry {
  return {
    sealed: sealer.seal(token.token, `${identityId}|${slot}`),
    expiresOnMs: token.expiresOn.getTime(),
    requestedAtMs: token.requestedAt.getTime(),
  };
}

function memoryCache(sealer: Sealer): ClosableTokenCache {
  const identities = new Map<string, { revokedAtMs: number; slots: Map<string, Entry> }>();
  const of = (id: string) => {
    let held = identities.get(id);
    if (!held) identities.set(id, (held = { revokedAtMs: 0, slots: new Map() }));
    return held;
  };
  return {
    async get(identityId, slot) {
      const held = identities.get(identityId);
      return held && unseal(sealer, identityId, slot, held.slots.get(slot), held.revokedAtMs);
    },
    async put(identityId, slot, token) {
      const held = of(identityId);
      if (token.requestedAt.getTime() <= held.revokedAtMs) return;
      held.slots.set(slot, sealEntry(sealer, identityId, slot, token));
      // Forget what has expired, so the map holds only live tokens.
      for (const [key, entry] of held.slots) if (entry.expiresOnMs <= Date.now()) held.slots.delete(key);
    },
    async invalidate(identityId, at) {
      const held = of(identityId);
      held.revokedAtMs = Math.max(held.revokedAtMs, at.getTime());
      held.slots.clear();
    },
    async close() {},
  };
}

// One hash per identity: a field per slot, and the time of the last invalidation. The checks that
// must not race with an invalidation on another replica run inside Redis, atomically.
const PUT = `
local revoked = tonumber(redis.call('HGET', KEYS[1], '${REVOKED}') or '0')
if tonumber(ARGV[3]) <= revoked then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1`;
const INVALIDATE = `
local revoked = tonumber(redis.call('HGET', KEYS[1], '${REVOKED}') or '0')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '${REVOKED}', math.max(revoked, tonumber(ARGV[1])))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** ioredis, loaded only when Redis is configured (as in ratelimit). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadRedis = (): typeof RedisClient => (require("ioredis") as typeof import("ioredis")).Redis;

function redisCache(url: string, prefix: string, sealer: Sealer): ClosableTokenCache {
  const redis: RedisClient = new (loadRedis())(url, {
    commandTimeout: 2_000,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
  });
  redis.on("error", () => undefined); // each failing command rejects; the reconnect loop is not news
  const keyOf = (identityId: string) => `${prefix}:tokens:${identityId}`;
  return {
    async get(identityId, slot) {
      const [entry, revokedAt] = await redis.hmget(keyOf(identityId), slot, REVOKED);
      return unseal(sealer, identityId, slot, decode(entry), Number(revokedAt ?? 0));
    },
    async put(identityId, slot, token) {
      const ttlMs = Math.max(1, token.expiresOn.getTime() - Date.now());
      await redis.eval(
        PUT,
        1,
        keyOf(identityId),
        slot,
        encode(sealEntry(sealer, identityId, slot, token)),
        String(token.requestedAt.getTime()),
        String(Math.min(ttlMs, INVALIDATION_TTL_MS)),
      );
    },
    async invalidate(identityId, at) {
      await redis.eval(INVALIDATE, 1, keyOf(identityId), String(at.getTime()), String(INVALIDATION_TTL_MS));
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
