// Quotas that protect the shared ACS budget: in memory for one process, in Redis when replicas must
// share one limit. An adapter of the core's RateLimiter port: may import config types, errors and the
// identity core's vocabulary (and pino's types).
import type { Redis as RedisClient } from "ioredis";
import type { Logger } from "pino";
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";
import type { AppConfig } from "../config";
import { AppError, ErrorCode, serviceUnavailable } from "../errors";
import type { Caller } from "../identity/caller";
import type { RateBucket } from "../identity/model";
import { rateLimitFor } from "../identity/policy";
import type { LimitScope, RateLimiter } from "../identity/ports";
import { addressKey } from "./address";

export { addressKey } from "./address";

export type RateLimitSettings = Pick<
  AppConfig,
  "rateLimits" | "rateLimitsPerAddress" | "acsQuota" | "redisUrl" | "rateLimitKeyPrefix"
>;

export interface ClosableRateLimiter extends RateLimiter {
  close(): Promise<void>;
  /** Readiness: is the shared store reachable? */
  ping(): Promise<void>;
}

/** How long one Redis command may take (queued while connecting included) before the request fails. */
const REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** What a caller refused because Redis is out is told to wait: about one reconnect attempt. */
const STORE_OUTAGE_RETRY_SECONDS = 5;

const ACTIONS: Record<RateBucket, string> = {
  mint: "token issues",
  create: "identity creations",
  revoke: "token revocations",
  delete: "identity deletions",
  denial: "refused requests",
};

/** A quota a request has spent a point of: given back when a later quota refuses the request. */
interface Taken {
  limiter: RateLimiterAbstract;
  key: string;
}

/** Which quota refused, to tell the caller: the limit and what it counts. */
type Quota = "principal" | "address" | "service";

function refusal(quota: Quota, bucket: RateBucket, limit: number, retry: number): string {
  const action = ACTIONS[bucket];
  switch (quota) {
    case "principal":
      return `Too many ${action}: you may make at most ${limit} per minute. Retry after ${retry} seconds.`;
    case "address":
      return `Too many ${action} from your network address: at most ${limit} per minute. Retry after ${retry} seconds.`;
    case "service":
      return `The service's ACS quota is spent for now (${limit} ${action} per 30 seconds across all callers). Retry after ${retry} seconds.`;
  }
}

/**
 * Three quotas guard each bucket, checked in this order:
 *  1. per principal per minute (fairness): the limit of the caller's most generous role (policy file
 *     `rateLimits`), else RATE_LIMIT_<BUCKET>_PER_MINUTE; anonymous callers count per client address;
 *  2. per client address per minute (one client holding many tokens, or many anonymous callers):
 *     RATE_LIMIT_<BUCKET>_PER_MINUTE_PER_ADDRESS;
 *  3. for the whole service per 30 s, below ACS's own per-resource quota (ACS_QUOTA_<BUCKET>_PER_30S), so
 *     callers get RATE_LIMITED from us rather than everyone getting ACS_THROTTLED.
 * A refused request gives back what the quotas before the refusing one took: it did not happen.
 */
/** ioredis, loaded only when Redis is configured (it adds 55 modules and 0.1 s to every start otherwise). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadRedis = (): typeof RedisClient => (require("ioredis") as typeof import("ioredis")).Redis;

export function createRateLimiter(
  settings: RateLimitSettings,
  logger?: Pick<Logger, "warn" | "info">,
  /** Told of each RATE_LIMITED refusal, with the buckets asked for, joined by "+" ("mint+create"). */
  onRefused?: (buckets: string) => void,
): ClosableRateLimiter {
  const redis: RedisClient | undefined = settings.redisUrl
    ? new (loadRedis())(settings.redisUrl, {
        // Fail closed and fast when Redis is away: a request waits at most this long, never for a
        // reconnect loop; commands sent while the first connection opens wait in the offline queue.
        commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
        connectTimeout: REDIS_COMMAND_TIMEOUT_MS,
        maxRetriesPerRequest: 1,
      })
    : undefined;
  // Without an error listener ioredis reports connection errors as unhandled. Each failed request is
  // logged with its cause; here only the changes of state are, not every attempt of the reconnect loop.
  let reachable = true;
  redis?.on("error", (err) => {
    if (!reachable) return;
    reachable = false;
    logger?.warn({ err }, "rate-limit store (Redis) unreachable: actions that spend ACS quota are refused");
  });
  redis?.on("ready", () => {
    if (reachable) return;
    reachable = true;
    logger?.info("rate-limit store (Redis) reachable again");
  });

  const prefix = settings.rateLimitKeyPrefix;
  const limiters = new Map<string, RateLimiterAbstract>();
  // One limiter per (key prefix, limit): per-principal limits differ by role, and a limiter has one limit.
  // The limit is part of the prefix so that callers under different limits never share a counter.
  const limiterFor = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
    const id = `${keyPrefix}:${points}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      limiter = redis
        ? new RateLimiterRedis({
            keyPrefix: id,
            points,
            duration,
            storeClient: redis,
            useRedisPackage: false,
          })
        : new RateLimiterMemory({ keyPrefix: id, points, duration });
      limiters.set(id, limiter);
    }
    return limiter;
  };

  // Each bucket's limiters, made once: the per-address and service-wide ones, and one per-principal
  // limiter per limit in use (roles may set their own).
  const limitersOf = (bucket: RateBucket) => {
    const principal = new Map<number, RateLimiterAbstract>();
    return {
      address: limiterFor(`${prefix}:${bucket}:address`, settings.rateLimitsPerAddress[bucket], 60),
      service: limiterFor(`${prefix}:${bucket}:service`, settings.acsQuota[bucket], 30),
      principal(points: number) {
        let limiter = principal.get(points);
        if (!limiter)
          principal.set(points, (limiter = limiterFor(`${prefix}:${bucket}:principal`, points, 60)));
        return limiter;
      },
    };
  };
  const byBucket = new Map<RateBucket, ReturnType<typeof limitersOf>>();

  // The three quotas of each bucket in turn, each awaited before the next: a refused request must not
  // hold another quota's point even for a moment (a caller at their own limit must not take a
  // service-wide point that someone else's request then misses).
  const spend = async (
    buckets: readonly RateBucket[],
    caller: Caller,
    limits: LimitScope,
    taken: Taken[],
  ): Promise<void> => {
    const address = addressKey(caller.clientAddress);
    for (const bucket of buckets) {
      let limiters = byBucket.get(bucket);
      if (limiters === undefined) byBucket.set(bucket, (limiters = limitersOf(bucket)));
      if (limits !== "service") {
        const perPrincipal = rateLimitFor(caller.effective, bucket, settings.rateLimits[bucket]);
        // Subjects and addresses in separate key spaces: no subject can name an anonymous address's key.
        const key = caller.subject === null ? `anonymous:${address}` : `subject:${caller.subject}`;
        await take(limiters.principal(perPrincipal), key, taken, "principal", bucket, perPrincipal);
        const perAddress = settings.rateLimitsPerAddress[bucket];
        await take(limiters.address, address, taken, "address", bucket, perAddress);
      }
      if (limits !== "caller")
        await take(limiters.service, "all", taken, "service", bucket, settings.acsQuota[bucket]);
    }
  };

  return {
    async consume(buckets, caller, limits = "all") {
      const taken: Taken[] = [];
      try {
        await spend(typeof buckets === "string" ? [buckets] : buckets, caller, limits, taken);
      } catch (error) {
        if (onRefused && error instanceof AppError && error.code === ErrorCode.RATE_LIMITED)
          onRefused(typeof buckets === "string" ? buckets : buckets.join("+"));
        // Best effort: if the store fails now too, the points expire with their window anyway.
        await Promise.all(taken.map(({ limiter, key }) => limiter.reward(key, 1).catch(() => undefined)));
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

async function take(
  limiter: RateLimiterAbstract,
  key: string,
  taken: Taken[],
  quota: Quota,
  bucket: RateBucket,
  limit: number,
): Promise<void> {
  try {
    await limiter.consume(key);
    taken.push({ limiter, key });
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new AppError(ErrorCode.RATE_LIMITED, refusal(quota, bucket, limit, retryAfterSeconds), {
        retryAfterSeconds,
      });
    }
    // The store failed (Redis unreachable or too slow). Fail closed: without a working limit nothing is
    // sent to ACS. SERVICE_UNAVAILABLE says it is transient (INTERNAL means a bug); the cause is logged
    // with the request id.
    throw serviceUnavailable(
      "Rate limits cannot be checked right now, so nothing was done. Try again shortly.",
      STORE_OUTAGE_RETRY_SECONDS,
      rejection,
    );
  }
}
