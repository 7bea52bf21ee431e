// The identity core as the service assembles it from its settings: ACS behind the resilience decorator,
// and the IdentityService over the store, the rate limiter and the token cache. One place, so that the
// benchmark's REST endpoint over the same core (bench/rest-baseline.ts) cannot drift from the service.
import { withResilience } from "../acs/resilience";
import type { AppConfig } from "../config";
import { IdentityService, type AcsIdentityBackend, type RateLimiter, type TokenCache } from "../identity";
import type { Store } from "../store";
import { consistencyMetrics } from "./consistency-metrics";
import type { Metrics } from "./metrics";

/** Fail fast on ACS: circuit breaker, ACS's Retry-After honoured locally, a cap on concurrent calls. */
export function resilientAcs(backend: AcsIdentityBackend, config: AppConfig, metrics: Metrics) {
  const acs = withResilience(
    backend,
    {
      maxConcurrency: config.acs.maxConcurrency,
      maxQueue: config.acs.maxQueue,
      queueTimeoutMs: config.acs.timeoutMs,
      breakerFailures: config.acs.breakerFailures,
      breakerOpenMs: config.acs.breakerOpenSeconds * 1000,
    },
    metrics.acs,
  );
  metrics.watchAcs(acs.health);
  return acs;
}

export function createIdentityService(
  config: AppConfig,
  deps: {
    acs: AcsIdentityBackend;
    store: Store;
    limiter: RateLimiter;
    tokenCache: TokenCache | undefined;
    metrics: Metrics;
  },
): IdentityService {
  const { acs, store, limiter, tokenCache, metrics } = deps;
  return new IdentityService({
    acs,
    store: store.identities,
    creations: store.creations,
    audit: store.audit,
    limiter,
    tokenReuse: tokenCache && config.tokenReuse && { cache: tokenCache, settings: config.tokenReuse },
    denialWindowMs: config.auditDenialWindowSeconds * 1000,
    provisioning: {
      repeatSafe: config.acs.customId,
      // A request's create is its own for the ACS timeout and a margin; then others may resume it.
      leaseMs: config.acs.timeoutMs + 5_000,
      ownerWaitMs: config.consistency.ownerCreateWaitMs,
      ...consistencyMetrics(metrics.registry, () => store.creations.countUnknown()),
    },
  });
}
