// Bundles the example page with esbuild: dist/index.html and dist/app.js.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "dist");
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [join(here, "src", "main.ts")],
  outfile: join(outdir, "app.js"),
  bundle: true,
  platform: "browser",
  format: "iife",
  target: "es2022",
  minify: true,
  sourcemap: true,
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
});
copyFileSync(join(here, "index.html"), join(outdir, "index.html"));
console.log(`built ${outdir}`);
