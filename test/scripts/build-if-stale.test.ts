// scripts/build-if-stale.mjs (what `npm start`, `npm run token` and `npm run emulator` run first), on a
// small project of its own: it builds when there is no build, skips tsc when nothing changed, rebuilds
// after an edit, and a failed build is tried again next time.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";

const REPO = path.resolve(__dirname, "../..");
let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "build-if-stale-"));
  for (const dir of ["src", "bench", "scripts"]) mkdirSync(path.join(root, dir));
  copyFileSync(path.join(REPO, "scripts/build-if-stale.mjs"), path.join(root, "scripts/build-if-stale.mjs"));
  symlinkSync(path.join(REPO, "node_modules"), path.join(root, "node_modules"), "dir");
  writeFileSync(
    path.join(root, "tsconfig.json"),
    JSON.stringify({
      // No type packages and no DOM: tsc then checks only main.ts (0.5 s instead of 7 s per build).
      compilerOptions: {
        target: "ES2022",
        lib: ["ES2022"],
        types: [],
        module: "node20",
        strict: true,
        outDir: "dist",
        rootDir: ".",
      },
      include: ["src"],
    }),
  );
  writeFileSync(path.join(root, "tsconfig.build.json"), JSON.stringify({ extends: "./tsconfig.json" }));
  writeFileSync(path.join(root, "src/main.ts"), `export const answer: number = 1;\n`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const build = () =>
  spawnSync(process.execPath, [path.join(root, "scripts/build-if-stale.mjs")], {
    cwd: root,
    encoding: "utf8",
  });
const stamp = () => statSync(path.join(root, "dist/.build-stamp")).mtimeMs;
const output = () => readFileSync(path.join(root, "dist/src/main.js"), "utf8");

test("builds once, skips when nothing changed, rebuilds after an edit, retries after a failure", () => {
  expect(build().status).toBe(0);
  expect(output()).toContain("exports.answer = 1");
  const first = stamp();

  expect(build().status).toBe(0);
  expect(stamp()).toBe(first); // no build: the stamp is left alone

  writeFileSync(path.join(root, "src/main.ts.md"), "notes next to the code are not compiled\n");
  expect(build().status).toBe(0);
  // Adding a file changes its folder's time, which counts (a deleted source must rebuild); editing it
  // again does not.
  const afterNote = stamp();
  writeFileSync(path.join(root, "src/main.ts.md"), "edited notes\n");
  expect(build().status).toBe(0);
  expect(stamp()).toBe(afterNote);

  writeFileSync(path.join(root, "src/main.ts"), `export const answer: number = 2;\n`);
  expect(build().status).toBe(0);
  expect(output()).toContain("exports.answer = 2");
  const second = stamp();
  expect(second).toBeGreaterThan(afterNote);

  // A type error: tsc fails, the build is not stamped, so the next run tries again.
  writeFileSync(path.join(root, "src/main.ts"), `export const answer: number = "three";\n`);
  const failed = build();
  expect(failed.status).not.toBe(0);
  expect(failed.stdout + failed.stderr).toContain("TS2322");
  expect(stamp()).toBe(second);

  writeFileSync(path.join(root, "src/main.ts"), `export const answer: number = 3;\n`);
  expect(build().status).toBe(0);
  expect(output()).toContain("exports.answer = 3");

  // An emptied dist/ is not taken for a build.
  rmSync(path.join(root, "dist/src"), { recursive: true });
  expect(build().status).toBe(0);
  expect(output()).toContain("exports.answer = 3");
}, 300_000);
