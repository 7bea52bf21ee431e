// Builds dist/ only when a source is newer than the last build, so `npm start`, `npm run token` and
// `npm run emulator` start in a fraction of a second once built (a full `tsc` costs 10 s or more).
// The check is a walk over file times: loading TypeScript just to learn nothing changed costs seconds.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// What tsconfig.build.json compiles, plus what changes how it compiles (the lockfile: dependencies' types
// shape the emitted decorator metadata). Not package.json: editing a script must not cost a build.
const SOURCE_DIRS = ["src", "bench", "scripts"];
const INPUT_FILES = ["tsconfig.json", "tsconfig.build.json", "package-lock.json"];
// What tsc reads in those folders; editing a README or an example policy next to the code costs no build.
const COMPILED = /\.(ts|mts|cts|json)$/;
// Written after a successful build; its time is the build's.
const STAMP = path.join(root, "dist", ".build-stamp");

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(full));
    else if (COMPILED.test(entry.name)) latest = Math.max(latest, statSync(full).mtimeMs);
  }
  // A deleted or renamed file changes its folder's time.
  return Math.max(latest, statSync(dir).mtimeMs);
}

// A dist/ emptied by hand (or never stamped) must not pass for built.
function untrusted() {
  return !existsSync(STAMP) || !existsSync(path.join(root, "dist", "src", "main.js"));
}

function stale() {
  if (untrusted()) return true;
  const built = statSync(STAMP).mtimeMs;
  const inputs = [
    ...SOURCE_DIRS.map((dir) => newest(path.join(root, dir))),
    ...INPUT_FILES.map((file) => path.join(root, file))
      .filter((file) => existsSync(file))
      .map((file) => statSync(file).mtimeMs),
  ];
  return inputs.some((time) => time > built);
}

const force = process.argv.includes("--force");
if (force || stale()) {
  const startedAt = Date.now();
  if (force || untrusted()) {
    // tsc --incremental trusts its build info over dist/: without it, it would see nothing to emit.
    for (const file of existsSync(path.join(root, "dist")) ? readdirSync(path.join(root, "dist")) : []) {
      if (file.endsWith(".tsbuildinfo")) rmSync(path.join(root, "dist", file));
    }
  }
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  // --incremental keeps dist/*.tsbuildinfo, so a rebuild after a small change re-checks little.
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json", "--incremental"], {
    cwd: root,
    stdio: "inherit",
  });
  // Stamped with the time the build started: a file saved during the build is newer, so it is rebuilt.
  writeFileSync(STAMP, `${new Date(startedAt).toISOString()}\n`);
  utimesSync(STAMP, startedAt / 1000, startedAt / 1000);
}
