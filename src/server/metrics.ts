import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { AcsHealth, AcsObserver, CircuitName } from "../acs/resilience";

/** Prometheus metrics. Labels come from fixed sets (operation type, error code), never from input. */
export interface Metrics {
  registry: Registry;
  observeOperation(operationType: string, code: string, seconds: number): void;
  /** ACS calls by operation and outcome, and the circuit state (feed to withResilience). */
  acs: AcsObserver;
  /** Reads the ACS pool and circuit at each scrape. */
  watchAcs(health: () => AcsHealth): void;
  /** A request refused by the rate limiter; `bucket` is one of RATE_BUCKETS (or several joined by +). */
  rateLimitRefused(bucket: string): void;
  /**
   * Hooks for the reconciler: one finding (kind from its fixed set, e.g. "pending_delete",
   * "unknown_create", "completed", "failed"), and creates whose ACS outcome is unknown.
   */
  reconcilerFinding(kind: string): void;
  unknownCreate(): void;
  readinessFailed(check: string): void;
}

const CIRCUIT_VALUE: Record<CircuitName, number> = { closed: 0, open: 1, "half-open": 2 };

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const operations = new Counter({
    name: "graphql_operations_total",
    help: "GraphQL operations by type and outcome code (OK or extensions.code).",
    labelNames: ["type", "code"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "graphql_operation_duration_seconds",
    help: "GraphQL operation duration.",
    labelNames: ["type"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const acsCalls = new Counter({
    name: "acs_calls_total",
    help: "ACS calls by operation and outcome: ok, an error code, or refused_* when refused locally without calling ACS.",
    labelNames: ["operation", "outcome"],
    registers: [registry],
  });
  const acsDuration = new Histogram({
    name: "acs_call_duration_seconds",
    help: "ACS call duration (queueing and SDK retries included) by operation and outcome.",
    labelNames: ["operation", "outcome"],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const circuitChanges = new Counter({
    name: "acs_circuit_transitions_total",
    help: "Changes of the ACS circuit breaker state, by the state entered.",
    labelNames: ["state"],
    registers: [registry],
  });
  let acsHealth: (() => AcsHealth) | undefined;
  new Gauge({
    name: "acs_circuit_state",
    help: "ACS circuit breaker: 0 closed, 1 open, 2 half-open (one probe in flight).",
    registers: [registry],
    collect() {
      if (acsHealth) this.set(CIRCUIT_VALUE[acsHealth().circuit]);
    },
  });
  new Gauge({
    name: "acs_pool_in_use",
    help: "ACS calls in flight from this process.",
    registers: [registry],
    collect() {
      if (acsHealth) this.set(acsHealth().inFlight);
    },
  });
  new Gauge({
    name: "acs_pool_waiting",
    help: "ACS calls waiting for a free slot (ACS_MAX_CONCURRENCY).",
    registers: [registry],
    collect() {
      if (acsHealth) this.set(acsHealth().waiting);
    },
  });
  const refusals = new Counter({
    name: "rate_limit_refusals_total",
    help: "Requests refused RATE_LIMITED, by rate bucket.",
    labelNames: ["bucket"],
    registers: [registry],
  });
  const findings = new Counter({
    name: "reconciler_findings_total",
    help: "What the reconciler found and did, by kind.",
    labelNames: ["kind"],
    registers: [registry],
  });
  const unknownCreates = new Counter({
    name: "acs_unknown_creates_total",
    help: "Identity creations whose ACS outcome is unknown (left for the reconciler).",
    registers: [registry],
  });
  const readiness = new Counter({
    name: "readiness_check_failures_total",
    help: "Failed readiness checks, by check.",
    labelNames: ["check"],
    registers: [registry],
  });
  return {
    registry,
    observeOperation(type, code, seconds) {
      operations.inc({ type, code });
      duration.observe({ type }, seconds);
    },
    acs: {
      call(operation, outcome, seconds) {
        acsCalls.inc({ operation, outcome });
        acsDuration.observe({ operation, outcome }, seconds);
      },
      circuit(state) {
        circuitChanges.inc({ state });
      },
    },
    watchAcs(health) {
      acsHealth = health;
    },
    rateLimitRefused: (bucket) => refusals.inc({ bucket }),
    reconcilerFinding: (kind) => findings.inc({ kind }),
    unknownCreate: () => unknownCreates.inc(),
    readinessFailed: (check) => readiness.inc({ check }),
  };
}
