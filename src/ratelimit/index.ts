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
import type { RateLimiter } from "../identity/ports";

export type Bucket = Parameters<RateLimiter["consume"]>[0];
export type PerMinuteLimits = Record<Bucket, number>;

export interface ClosableRateLimiter extends RateLimiter {
  close(): Promise<void>;
  /** Readiness: is the shared store reachable? */
  ping(): Promise<void>;
}

export function createRateLimiter(limits: PerMinuteLimits, redisUrl?: string): ClosableRateLimiter {
  const redis = redisUrl
    ? new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false })
    : undefined;
  // Without this listener ioredis reports connection errors as unhandled; they surface through consume().
  redis?.on("error", () => undefined);
  const limiters = Object.fromEntries(
    (Object.keys(limits) as Bucket[]).map((bucket) => {
      const options = { keyPrefix: `acs-identity-graph:${bucket}`, points: limits[bucket], duration: 60 };
      const limiter: RateLimiterAbstract = redis
        ? new RateLimiterRedis({ ...options, storeClient: redis, useRedisPackage: false })
        : new RateLimiterMemory(options);
      return [bucket, limiter];
    }),
  ) as Record<Bucket, RateLimiterAbstract>;

  return {
    async consume(bucket, key) {
      try {
        await limiters[bucket].consume(key);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
          throw new AppError(
            ErrorCode.RATE_LIMITED,
            `Too many requests: at most ${limits[bucket]} per minute. Retry after ${retryAfterSeconds} seconds.`,
            { retryAfterSeconds },
          );
        }
        throw rejection; // the store failed: let the server mask it as INTERNAL and log it
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
