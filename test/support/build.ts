// Tests of the built commands (npm run emulator, npm start) run the compiled output; build it when
// it is missing or older than the sources.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

export function builtFile(relative: string): string {
  const file = path.join(ROOT, "dist", relative);
  if (!existsSync(file) || statSync(file).mtimeMs < newestSource(path.join(ROOT, "src"))) {
    execFileSync(
      process.execPath,
      [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json")],
      { cwd: ROOT, stdio: "inherit" },
    );
  }
  return file;
}
