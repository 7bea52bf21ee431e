// Liveness and readiness. Readiness describes this replica: is it started, not draining, and can it
// reach its database? Dependencies that every replica shares and that fail for all of them at once
// (ACS, a shared Redis) do not take the replica out of rotation, or a throttled ACS would take out
// every replica and callers would get connection errors instead of ACS_THROTTLED. They are reported
// in the detail (and metrics), from real traffic: no probe calls ACS.
import type { Router } from "express";
import express from "express";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";

export interface ReadinessCheck {
  run: () => Promise<void>;
  /** Fails readiness when it fails; otherwise only reported. */
  gating: boolean;
}

export interface HealthOptions {
  checks: Record<string, ReadinessCheck>;
  /** ACS as this replica has seen it (circuit, pauses, pool), without calling ACS. */
  acs: () => unknown;
  draining: () => boolean;
  logger: Logger;
  metrics: Metrics;
  /** Probes within this many ms share one evaluation: a flood of probes costs one check. */
  cacheMs?: number;
  checkTimeoutMs?: number;
}

interface Evaluation {
  at: number;
  results: Record<string, { ok: boolean; gating: boolean; reason?: string }>;
}

export interface Health {
  /** /healthz and /readyz: for load balancers and orchestrators; no reasons. */
  publicRoutes: Router;
  /** /readyz/detail and /metrics: for operators (the ops port when OPS_PORT is set). */
  opsRoutes: Router;
}

export function healthRoutes(options: HealthOptions): Health {
  const { checks, logger, metrics } = options;
  const cacheMs = options.cacheMs ?? 1_000;
  const checkTimeoutMs = options.checkTimeoutMs ?? 5_000;
  let last: Evaluation | undefined;
  let pending: Promise<Evaluation> | undefined;
  const failing = new Set<string>();

  const evaluate = async (): Promise<Evaluation> => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check.run(), checkTimeoutMs);
          if (failing.delete(name)) logger.info({ check: name }, "readiness check passes again");
          return [name, { ok: true, gating: check.gating }] as const;
        } catch (err) {
          metrics.readinessFailed(name);
          failing.add(name);
          logger.warn({ check: name, gating: check.gating, err }, "readiness check failed");
          // Only the kind of failure: messages can name hosts and databases.
          const reason = (err as { code?: unknown }).code ?? (err as Error)?.name ?? "Error";
          return [name, { ok: false, gating: check.gating, reason: String(reason) }] as const;
        }
      }),
    );
    return { at: Date.now(), results: Object.fromEntries(entries) };
  };
  const current = (): Promise<Evaluation> => {
    if (last && Date.now() - last.at < cacheMs) return Promise.resolve(last);
    pending ??= evaluate()
      .then((evaluation) => (last = evaluation))
      .finally(() => (pending = undefined));
    return pending;
  };

  const publicRoutes = express.Router();
  publicRoutes.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  publicRoutes.get("/readyz", async (_req, res) => {
    if (options.draining()) {
      res.status(503).json({ status: "draining" });
      return;
    }
    const { results } = await current();
    const ready = Object.values(results).every((result) => result.ok || !result.gating);
    res.status(ready ? 200 : 503).json({
      status: ready ? "ready" : "not ready",
      checks: Object.fromEntries(
        Object.entries(results).map(([name, result]) => [name, result.ok ? "ok" : "failing"]),
      ),
    });
  });

  const opsRoutes = express.Router();
  opsRoutes.get("/readyz/detail", async (_req, res) => {
    const { at, results } = await current();
    const draining = options.draining();
    const ready = !draining && Object.values(results).every((result) => result.ok || !result.gating);
    res.status(ready ? 200 : 503).json({
      status: draining ? "draining" : ready ? "ready" : "not ready",
      checkedAt: new Date(at).toISOString(),
      checks: results,
      acs: options.acs(),
    });
  });
  opsRoutes.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return { publicRoutes, opsRoutes };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`timed out after ${ms} ms`), { code: "TIMEOUT" })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
