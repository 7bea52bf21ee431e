// jest globalTeardown: searches the whole run's logs, database rows and client-received errors for
// every secret the run issued or used, prints one summary line, and throws (jest then exits non-zero,
// after its own summary) on any hit or when the sweep proves nothing.
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { Config } from "jest";
import { failureReport, scanSweep, serviceLabels, summaryLine, type SweepFloors } from "./secret-sweep-scan";
import { SWEEP_DIR_ENV } from "./secret-sweep";

// What a full run produces is far above these (see the summary line); a run below them captured
// little enough that "no hits" would mean nothing.
const FULL_RUN_FLOORS: SweepFloors = {
  services: 10,
  acsTokens: 50,
  bearerTokens: 30,
  logLines: 200,
  rows: 100,
  errors: 20,
};

type GlobalConfig = Config & {
  testPathPatterns?: { patterns?: string[] };
  nonFlagArgs?: string[];
  testNamePattern?: string;
  shard?: unknown;
};

/** True when jest was asked for every test: only then do the floors apply. */
function isFullRun(config: GlobalConfig): boolean {
  return (
    !config.testPathPatterns?.patterns?.length &&
    !config.nonFlagArgs?.length &&
    !config.testNamePattern &&
    !config.onlyChanged &&
    !config.onlyFailures &&
    !config.findRelatedTests &&
    !config.lastCommit &&
    !config.changedSince &&
    !config.shard
  );
}

export default function globalTeardown(globalConfig: GlobalConfig): void {
  const dir = process.env[SWEEP_DIR_ENV];
  if (!dir) return;
  const result = scanSweep(dir, isFullRun(globalConfig) ? FULL_RUN_FLOORS : undefined);
  const shown = { ...result, dir: path.relative(process.cwd(), dir) };
  for (const warning of result.warnings) process.stdout.write(`secret sweep: note: ${warning}\n`);
  process.stdout.write(`${summaryLine(shown)}\n`);
  if (result.hits.length > 0 || result.problems.length > 0)
    throw new Error(failureReport(shown, serviceLabels(dir)));
  // Clean: the recorded secret values are not needed any more (they stay, for diagnosis, on failure).
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".secrets.jsonl")))
    rmSync(path.join(dir, file));
}
