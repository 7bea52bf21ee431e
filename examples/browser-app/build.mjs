// Bundles the example page with esbuild: dist/index.html and dist/app.js. First extracts the app's
// GraphQL operations into dist/persisted-query-manifest.json (Apollo's persisted query list format,
// with @apollo/generate-persisted-query-manifest): the bundle sends their ids, and the service can be
// told to run only them (TRUSTED_DOCUMENTS_FILE).
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "dist");
const manifestFile = join(outdir, "persisted-query-manifest.json");
mkdirSync(outdir, { recursive: true });

const require = createRequire(import.meta.url);
const generator = join(
  dirname(require.resolve("@apollo/generate-persisted-query-manifest/package.json")),
  "cli.js",
);
execFileSync(process.execPath, [generator, "--config", "persisted-query-manifest.config.json"], {
  cwd: here,
  stdio: "ignore",
});

/** `import manifest from "virtual:persisted-query-manifest"` is the manifest just extracted. */
const manifestPlugin = {
  name: "persisted-query-manifest",
  setup(b) {
    b.onResolve({ filter: /^virtual:persisted-query-manifest$/ }, () => ({
      path: manifestFile,
      namespace: "manifest",
    }));
    b.onLoad({ filter: /.*/, namespace: "manifest" }, () => ({
      contents: readFileSync(manifestFile, "utf8"),
      loader: "json",
    }));
  },
};

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
  plugins: [manifestPlugin],
});
copyFileSync(join(here, "index.html"), join(outdir, "index.html"));
console.log(`built ${outdir}`);
