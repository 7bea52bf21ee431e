import type { Router } from "express";
import express from "express";
import type { Metrics } from "./metrics";

export type ReadinessCheck = () => Promise<void>;

/** /healthz (the process runs), /readyz (its dependencies answer) and /metrics. */
export function healthRoutes(checks: Record<string, ReadinessCheck>, metrics: Metrics): Router {
  const router = express.Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 5000);
          return [name, "ok"] as const;
        } catch {
          return [name, "failing"] as const; // the reason goes to logs, never to this public page
        }
      }),
    );
    const ready = results.every(([, state]) => state === "ok");
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? "ready" : "not ready", checks: Object.fromEntries(results) });
  });
  router.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
