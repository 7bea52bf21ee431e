// Fail fast on ACS: a decorator around any AcsIdentityBackend that
//  - honours ACS's Retry-After locally: after a 429 the same operation, and after a 5xx with
//    Retry-After every operation, is refused without calling ACS until the pause is over;
//  - opens a circuit after consecutive outages (5xx, timeouts, broken connections) and, after a pause,
//    lets one probe through (half-open) while the others are refused at once, not queued behind it;
//  - caps concurrent ACS calls, with a bounded queue whose wait counts against the ACS timeout.
// The breaker and the concurrency cap are cockatiel's (MIT, no dependencies, CommonJS on Node 20).
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  bulkhead,
  circuitBreaker,
  handleWhen,
} from "cockatiel";
import { AppError, ErrorCode } from "../errors";

export interface ResilienceOptions {
  /** ACS calls at once; more wait in a queue of `maxQueue`, and beyond that are refused. */
  maxConcurrency: number;
  maxQueue: number;
  /** How long a call may wait for a slot (the ACS timeout: waiting is part of the call). */
  queueTimeoutMs: number;
  /** Consecutive outages that open the circuit. */
  breakerFailures: number;
  /** How long the circuit stays open before one probe is let through. */
  breakerOpenMs: number;
  now?: () => number;
}

export type CircuitName = "closed" | "open" | "half-open";

/** Where the decorator reports, for metrics. Outcomes are fixed strings, never input. */
export interface AcsObserver {
  /** outcome: "ok", an error code, or "refused_circuit_open" / "refused_retry_after" / "refused_pool_full". */
  call(operation: string, outcome: string, seconds: number): void;
  circuit(state: CircuitName): void;
}

/** What operators see of ACS from this replica: from real traffic, without probing ACS. */
export interface AcsHealth {
  circuit: CircuitName;
  /** Operations refused locally until these times (ISO), because ACS said Retry-After. */
  pausedUntil: Record<string, string>;
  inFlight: number;
  waiting: number;
  consecutiveFailures: number;
  lastSuccessAt: string | null;
  lastFailure: { at: string; operation: string; code: string } | null;
}

export type Resilient<T> = T & { health(): AcsHealth };

const ALL = "*";

/** Wraps every method of `backend` (each method is one ACS operation, named after it). */
export function withResilience<T extends object>(
  backend: T,
  options: ResilienceOptions,
  observer?: AcsObserver,
): Resilient<T> {
  const now = options.now ?? Date.now;
  const pool = bulkhead(options.maxConcurrency, options.maxQueue);
  // Only outages count against the circuit: NOT_FOUND, bad input or throttling say ACS is up.
  const isOutage = (error: Error) => error instanceof AppError && error.code === ErrorCode.ACS_UNAVAILABLE;
  const breaker = circuitBreaker(handleWhen(isOutage), {
    halfOpenAfter: options.breakerOpenMs,
    breaker: new ConsecutiveBreaker(options.breakerFailures),
  });
  let openedAt = 0;
  let consecutiveFailures = 0;
  let lastSuccessAt: number | null = null;
  let lastFailure: AcsHealth["lastFailure"] = null;
  const pausedUntil = new Map<string, number>();

  const circuitName = (): CircuitName =>
    breaker.state === CircuitState.Closed
      ? "closed"
      : breaker.state === CircuitState.HalfOpen
        ? "half-open"
        : "open";
  breaker.onBreak(() => {
    openedAt = now();
  });
  breaker.onStateChange(() => observer?.circuit(circuitName()));

  const secondsLeft = (until: number) => Math.max(1, Math.ceil((until - now()) / 1000));
  const refuse = (operation: string, started: number, outcome: string, error: AppError): never => {
    observer?.call(operation, outcome, (now() - started) / 1000);
    throw error;
  };

  const run = async (operation: string, call: () => Promise<unknown>): Promise<unknown> => {
    const started = now();
    // 1. ACS asked for a pause: answer for it, without calling.
    for (const key of [ALL, operation]) {
      const until = pausedUntil.get(key);
      if (until === undefined) continue;
      if (until <= now()) {
        pausedUntil.delete(key);
        continue;
      }
      const retryAfterSeconds = secondsLeft(until);
      refuse(
        operation,
        started,
        "refused_retry_after",
        key === ALL
          ? new AppError(
              ErrorCode.ACS_UNAVAILABLE,
              `Azure Communication Services is unavailable; retry after ${retryAfterSeconds} seconds.`,
              { retryAfterSeconds },
            )
          : new AppError(
              ErrorCode.ACS_THROTTLED,
              `Azure Communication Services is throttling requests; retry after ${retryAfterSeconds} seconds.`,
              { retryAfterSeconds },
            ),
      );
    }
    // 2. A probe is in flight: the others fail fast rather than queue behind it.
    if (breaker.state === CircuitState.HalfOpen) {
      refuse(operation, started, "refused_circuit_open", circuitOpen(1));
    }
    try {
      const result = await breaker.execute(() => withSlot(call));
      consecutiveFailures = 0;
      lastSuccessAt = now();
      observer?.call(operation, "ok", (now() - started) / 1000);
      return result;
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        const reopensAt = openedAt + options.breakerOpenMs;
        return refuse(operation, started, "refused_circuit_open", circuitOpen(secondsLeft(reopensAt)));
      }
      if (error instanceof BulkheadRejectedError) {
        return refuse(
          operation,
          started,
          "refused_pool_full",
          new AppError(
            ErrorCode.ACS_UNAVAILABLE,
            "Too many requests are waiting for Azure Communication Services; try again shortly.",
            { retryAfterSeconds: 1 },
          ),
        );
      }
      const code = error instanceof AppError ? error.code : ErrorCode.INTERNAL;
      const retryAfterSeconds = error instanceof AppError ? error.details.retryAfterSeconds : undefined;
      if (retryAfterSeconds !== undefined && code === ErrorCode.ACS_THROTTLED) {
        pausedUntil.set(operation, now() + retryAfterSeconds * 1000);
      }
      if (retryAfterSeconds !== undefined && code === ErrorCode.ACS_UNAVAILABLE) {
        pausedUntil.set(ALL, now() + retryAfterSeconds * 1000);
      }
      if (code === ErrorCode.ACS_UNAVAILABLE) consecutiveFailures += 1;
      lastFailure = { at: new Date(now()).toISOString(), operation, code };
      observer?.call(operation, code, (now() - started) / 1000);
      throw error;
    }
  };

  // The wait for a slot is bounded by queueTimeoutMs; a call that got its slot is never abandoned.
  const withSlot = (call: () => Promise<unknown>): Promise<unknown> => {
    // A free slot: the call starts now, so there is no wait to bound. (The timer, the abort signal and
    // the race below cost about 20 µs of CPU per call, and under normal load every call takes this path.)
    if (pool.executionSlots > 0) return pool.execute(call);
    const waited = new AbortController();
    let started = false;
    const timer = setTimeout(() => waited.abort(), options.queueTimeoutMs);
    const timedOut = new Promise<never>((_, reject) =>
      waited.signal.addEventListener("abort", () => {
        if (!started)
          reject(
            new AppError(
              ErrorCode.ACS_UNAVAILABLE,
              `No Azure Communication Services call slot freed up within ${options.queueTimeoutMs} ms.`,
            ),
          );
      }),
    );
    timedOut.catch(() => undefined);
    const running = pool.execute(() => {
      started = true;
      clearTimeout(timer);
      return call();
    }, waited.signal);
    running.catch(() => undefined);
    return Promise.race([running, timedOut]).finally(() => clearTimeout(timer));
  };

  const wrapped: Record<string | symbol, unknown> = {};
  for (const key of methodNames(backend)) {
    const method = (backend as Record<string, (...args: unknown[]) => Promise<unknown>>)[key];
    wrapped[key] = (...args: unknown[]) => run(key, () => method.apply(backend, args));
  }
  const health = (): AcsHealth => {
    const paused: Record<string, string> = {};
    for (const [key, until] of pausedUntil)
      if (until > now()) paused[key === ALL ? "all" : key] = new Date(until).toISOString();
    return {
      circuit: circuitName(),
      pausedUntil: paused,
      inFlight: options.maxConcurrency - pool.executionSlots,
      waiting: options.maxQueue - pool.queueSlots,
      consecutiveFailures,
      lastSuccessAt: lastSuccessAt === null ? null : new Date(lastSuccessAt).toISOString(),
      lastFailure,
    };
  };
  return { ...backend, ...wrapped, health } as Resilient<T>;
}

function circuitOpen(retryAfterSeconds: number): AppError {
  return new AppError(
    ErrorCode.ACS_UNAVAILABLE,
    `Azure Communication Services is failing; calls are paused for ${retryAfterSeconds} seconds.`,
    { retryAfterSeconds },
  );
}

function methodNames(object: object): string[] {
  return Object.keys(object).filter((key) => typeof (object as Record<string, unknown>)[key] === "function");
}
