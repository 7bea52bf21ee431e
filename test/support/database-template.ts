// A migrated embedded database, made once per jest run (by the first test service that needs it) and
// copied into each test service's data folder. Creating a PGlite database runs initdb inside WASM:
// measured at 2 to 4 s of CPU per service; copying a ready folder and opening it costs about 0.5 s.
// The services still open it through the production path (a folder, migrations checked at start: none
// pending); the migrations themselves run from empty here, in test/store and in test/schema.
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { openDatabase } from "../../src/store/connect";
import { SCRATCH_ROOT } from "./scratch";
import { SWEEP_DIR_ENV } from "./secret-sweep";

// Read once, when a test file loads: a test that points the sweep elsewhere for a while (the sweep's
// own tests) must not get a template of its own.
const RUN_DIR = process.env[SWEEP_DIR_ENV];

/** Where this run's template lives: named after the run (its secret-sweep folder), in the temp dir. */
function templateDir(): string | undefined {
  return RUN_DIR
    ? path.join(SCRATCH_ROOT, `acs-identity-graph-template-${path.basename(RUN_DIR)}`)
    : undefined;
}

/** Builds this run's template unless it exists. Two workers may race: each builds, one rename wins. */
async function ensureTemplate(final: string): Promise<void> {
  if (existsSync(final)) return;
  const building = mkdtempSync(`${final}.building-`);
  try {
    const db = await openDatabase({ kind: "embedded", dir: path.join(building, "db") });
    await db.destroy();
    try {
      renameSync(building, final);
    } catch (error) {
      if (!existsSync(final)) throw error; // another worker's rename won: use theirs
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

/**
 * The embedded database folder inside `dataDir`: the one already there (a service restarted on the
 * same data folder keeps its data), else a fresh copy of the run's template. Undefined outside a
 * jest run with the secret sweep's global setup: the caller then uses a new in-memory database.
 */
export async function embeddedDatabaseFor(dataDir: string): Promise<string | undefined> {
  const dir = path.join(dataDir, "embedded-db");
  return (await seedEmbeddedDatabase(dir)) ? dir : undefined;
}

/**
 * Makes `dir` (if it does not exist yet) a copy of the run's template, for a service started as its
 * own process (`DATA_DIR/db`) that should not spend a first start's initdb. False outside a jest run
 * with the secret sweep's global setup: the service then creates its database itself.
 */
export async function seedEmbeddedDatabase(dir: string): Promise<boolean> {
  if (existsSync(dir)) return true;
  const template = templateDir();
  if (!template) return false;
  await ensureTemplate(template);
  cpSync(path.join(template, "db"), dir, { recursive: true });
  return true;
}

/** Global teardown: removes this run's template. */
export function removeDatabaseTemplate(): void {
  const template = templateDir();
  if (template) rmSync(template, { recursive: true, force: true });
}
