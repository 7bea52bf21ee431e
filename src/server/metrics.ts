import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Prometheus metrics. Labels come from fixed sets (operation type, error code), never from input. */
export interface Metrics {
  registry: Registry;
  observeOperation(operationType: string, code: string, seconds: number): void;
}

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
  return {
    registry,
    observeOperation(type, code, seconds) {
      operations.inc({ type, code });
      duration.observe({ type }, seconds);
    },
  };
}
