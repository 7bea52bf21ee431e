// One emulator signing key per jest run. Every test service starts an ACS emulator, and a new emulator
// makes a 2048-bit RSA key (0.1 to 0.5 s of CPU on a busy machine); test services instead find this
// run's key already in their emulator's settings file, as a restarted emulator finds its own. Tests of
// the emulator's own key handling start emulators without it (test/emulator).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { newSigningKey, type SigningKeyMaterial } from "../../src/emulator/tokens";
import { SCRATCH_ROOT } from "./scratch";
import { SWEEP_DIR_ENV } from "./secret-sweep";

// Read once, when a test file loads (see database-template.ts).
const RUN_DIR = process.env[SWEEP_DIR_ENV];

const keyFile = (): string | undefined =>
  RUN_DIR
    ? path.join(SCRATCH_ROOT, `acs-identity-graph-emulator-key-${path.basename(RUN_DIR)}.json`)
    : undefined;

function runSigningKey(file: string): SigningKeyMaterial {
  if (!existsSync(file)) {
    // Two workers may race: each writes its own, the last rename wins, and both then read that one.
    const temp = `${file}.${process.pid}`;
    writeFileSync(temp, JSON.stringify(newSigningKey()), { mode: 0o600 });
    renameSync(temp, file);
  }
  return JSON.parse(readFileSync(file, "utf8")) as SigningKeyMaterial;
}

/**
 * Puts this run's signing key into the settings file of the emulator that a service on `dataDir` will
 * start (`<dataDir>/emulator/resource.json`), unless that emulator already has settings. Does nothing
 * outside a jest run with the secret sweep's global setup.
 */
export function seedEmulatorSigningKey(dataDir: string): void {
  const file = keyFile();
  const settings = path.join(dataDir, "emulator", "resource.json");
  if (!file || existsSync(settings)) return;
  mkdirSync(path.dirname(settings), { recursive: true, mode: 0o700 });
  writeFileSync(settings, JSON.stringify({ signingKey: runSigningKey(file) }), { mode: 0o600 });
}

/** Global teardown: removes this run's key. */
export function removeEmulatorSigningKey(): void {
  const file = keyFile();
  if (file) rmSync(file, { force: true });
}
