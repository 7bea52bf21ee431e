// The reconciler on a schedule: at start and every RECONCILE_INTERVAL_SECONDS, finishing what failures
// left half done (docs/consistency.md); what it finds is logged and counted (reconciler_findings_total).
import type { AppConfig } from "../config";
import type { IdentityService } from "../identity";
import type { ReconcileReport } from "../identity/reconciler";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";

const FINDINGS = [
  "completedDeletes",
  "recordedCreates",
  "discardedCreates",
  "unresolvedCreates",
  "failures",
] as const satisfies ReadonlyArray<keyof ReconcileReport>;

export function startReconciler(
  identities: IdentityService,
  config: AppConfig,
  logger: Logger,
  metrics: Pick<Metrics, "reconcilerFinding">,
) {
  let pass: Promise<unknown> = Promise.resolve();
  const run = () => {
    pass = identities.reconciler.run().then(
      (report) => {
        for (const kind of FINDINGS) for (let i = 0; i < report[kind]; i++) metrics.reconcilerFinding(kind);
        const changed = report.completedDeletes + report.recordedCreates + report.discardedCreates;
        if (changed || report.failures || report.unresolvedCreates)
          logger.warn({ reconcile: report }, "reconciler finished work that failures left half done");
      },
      (err: unknown) => logger.warn({ err }, "reconciler pass failed; the next one retries"),
    );
  };
  run();
  const seconds = config.consistency.reconcileIntervalSeconds;
  const timer = seconds > 0 ? setInterval(run, seconds * 1000).unref() : undefined;
  return async () => {
    clearInterval(timer);
    await pass;
  };
}
