// Per-caller quotas that protect the shared ACS budget: in memory for one process, in Redis when
// replicas must share one limit. May import: config types, errors, identity/ports.
import { Redis } from "ioredis";
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";
import { AppError, ErrorCode } from "../errors";
import { actorOf } from "../identity/caller";
import type { RateLimiter } from "../identity/ports";

export type Bucket = Parameters<RateLimiter["consume"]>[0];
export type Limits = Record<Bucket, number>;

export interface ClosableRateLimiter extends RateLimiter {
  close(): Promise<void>;
  /** Readiness: is the shared store reachable? */
  ping(): Promise<void>;
}

interface Quota {
  limiter: RateLimiterAbstract;
  describe: (points: number, retryAfterSeconds: number) => string;
}

/**
 * Two quotas guard each bucket: one per caller per minute (fairness), and one for the whole service
 * per 30 s, below ACS's own per-resource limit (so callers get RATE_LIMITED from us rather than
 * everyone getting ACS_THROTTLED).
 */
export function createRateLimiter(
  perCaller: Limits,
  serviceWidePer30s: Limits,
  redisUrl?: string,
): ClosableRateLimiter {
  const redis = redisUrl
    ? new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false })
    : undefined;
  // Without this listener ioredis reports connection errors as unhandled; they surface through consume().
  redis?.on("error", () => undefined);
  const limiterFor = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract =>
    redis
      ? new RateLimiterRedis({ keyPrefix, points, duration, storeClient: redis, useRedisPackage: false })
      : new RateLimiterMemory({ keyPrefix, points, duration });
  const quotas = (bucket: Bucket): [Quota, Quota] => [
    {
      limiter: limiterFor(`acs-identity-graph:${bucket}`, perCaller[bucket], 60),
      describe: (points, retry) =>
        `Too many requests: at most ${points} per minute. Retry after ${retry} seconds.`,
    },
    {
      limiter: limiterFor(`acs-identity-graph:service:${bucket}`, serviceWidePer30s[bucket], 30),
      describe: (points, retry) =>
        `The service's ACS quota is spent for now (${points} per 30 seconds across all callers). Retry after ${retry} seconds.`,
    },
  ];
  const buckets = Object.fromEntries(
    (Object.keys(perCaller) as Bucket[]).map((bucket) => [bucket, quotas(bucket)]),
  ) as Record<Bucket, [Quota, Quota]>;

  return {
    async consume(bucket, who) {
      const key = actorOf(who);
      const [caller, service] = buckets[bucket];
      await take(caller, key);
      try {
        await take(service, "all");
      } catch (error) {
        await caller.limiter.reward(key, 1).catch(() => undefined); // this request did not happen
        throw error;
      }
    },
    async ping() {
      if (redis) await redis.ping();
    },
    async close() {
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

async function take(quota: Quota, key: string): Promise<void> {
  try {
    await quota.limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new AppError(ErrorCode.RATE_LIMITED, quota.describe(quota.limiter.points, retryAfterSeconds), {
        retryAfterSeconds,
      });
    }
    throw rejection; // the store failed: let the server mask it as INTERNAL and log it
  }
}
