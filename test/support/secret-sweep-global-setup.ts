// jest globalSetup: a fresh folder for this run's secret sweep, named in SECRET_SWEEP_DIR (jest starts
// its workers after this, so they inherit it). Runs older than a day are pruned; by age, not by count,
// because other jest runs may be writing their own folders at the same time.
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { SWEEP_DIR_ENV } from "./secret-sweep";

export const SWEEP_ROOT = path.resolve(__dirname, "../../test-artifacts/secret-sweep");
const KEEP_MS = 24 * 60 * 60 * 1000;

export default function globalSetup(): void {
  mkdirSync(SWEEP_ROOT, { recursive: true });
  for (const run of readdirSync(SWEEP_ROOT)) {
    const folder = path.join(SWEEP_ROOT, run);
    const modified = statSync(folder, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
    if (Date.now() - modified > KEEP_MS) rmSync(folder, { recursive: true, force: true });
  }
  const runId = `${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`;
  const dir = path.join(SWEEP_ROOT, runId);
  mkdirSync(dir);
  process.env[SWEEP_DIR_ENV] = dir;
}
