// The whole-suite secret sweep, search side: every secret recorded during the run (see
// secret-sweep.ts) against every log line, database row and client-received error of the run. A JWT is
// searched as its payload and its signature separately (a partial leak is a leak; the header is
// skipped because every token of one issuer shares it), other secrets whole and URL-encoded.
// Reports say which kind of secret was found where, never the secret.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ServiceManifest } from "./secret-sweep";

/** Shorter values cannot be searched without false hits (and are no credential worth the name). */
export const MIN_SECRET_LENGTH = 12;

/** Below these a full run proves nothing: the capture is broken, not the service clean. */
export interface SweepFloors {
  services: number;
  acsTokens: number;
  bearerTokens: number;
  logLines: number;
  rows: number;
  errors: number;
}

export interface SweepHit {
  what: string;
  where: "log" | "rows" | "errors";
  file: string;
  line: number;
}

export interface SweepResult {
  dir: string;
  services: number;
  secrets: number;
  needles: number;
  tooShort: number;
  acsTokens: number;
  bearerTokens: number;
  logLines: number;
  rows: number;
  tables: number;
  errors: number;
  hits: SweepHit[];
  /** Reasons the sweep itself cannot be trusted (vacuous, capture broken): these fail the run too. */
  problems: string[];
  /** Gaps worth knowing that do not fail the run (a service a test never stopped). */
  warnings: string[];
}

interface Needle {
  text: string;
  what: string;
}

const IS_JWT = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

function readLines(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.length > 0);
}

export function scanSweep(dir: string, floors?: SweepFloors): SweepResult {
  const files = readdirSync(dir).sort();
  const pick = (suffix: string) => files.filter((f) => f.endsWith(suffix)).map((f) => path.join(dir, f));
  const result: SweepResult = {
    dir,
    services: 0,
    secrets: 0,
    needles: 0,
    tooShort: 0,
    acsTokens: 0,
    bearerTokens: 0,
    logLines: 0,
    rows: 0,
    tables: 0,
    errors: 0,
    hits: [],
    problems: [],
    warnings: [],
  };

  // The secrets, deduplicated by value (one value may be recorded under several kinds).
  const kinds = new Map<string, Set<string>>();
  for (const file of pick(".secrets.jsonl")) {
    for (const line of readLines(file)) {
      const { kind, value } = JSON.parse(line) as { kind: string; value: string };
      (kinds.get(value) ?? kinds.set(value, new Set()).get(value)!).add(kind);
    }
  }
  const needles: Needle[] = [];
  const add = (text: string, what: string) => {
    if (text.length < MIN_SECRET_LENGTH) result.tooShort += 1;
    else needles.push({ text, what });
  };
  for (const [value, kindSet] of kinds) {
    const kind = [...kindSet].sort().join(" / ");
    result.secrets += 1;
    if (kindSet.has("ACS access token")) result.acsTokens += 1;
    if (kindSet.has("bearer token")) result.bearerTokens += 1;
    if (IS_JWT.test(value)) {
      const [, payload, signature] = value.split(".");
      add(payload, `${kind} (payload segment)`);
      add(signature, `${kind} (signature segment)`);
    } else {
      add(value, kind);
      const encoded = encodeURIComponent(value);
      if (encoded !== value) add(encoded, `${kind} (URL-encoded)`);
    }
  }
  result.needles = needles.length;

  // Every needle is indexed by its first MIN_SECRET_LENGTH characters, so each haystack is read once:
  // at every position one map lookup, instead of one full search per secret.
  const byPrefix = new Map<string, Needle[]>();
  for (const needle of needles) {
    const prefix = needle.text.slice(0, MIN_SECRET_LENGTH);
    (byPrefix.get(prefix) ?? byPrefix.set(prefix, []).get(prefix)!).push(needle);
  }
  const search = (file: string, where: SweepHit["where"]) => {
    const lines = readLines(file);
    lines.forEach((line, index) => {
      const found = new Set<string>();
      for (let i = 0; i + MIN_SECRET_LENGTH <= line.length; i++) {
        const candidates = byPrefix.get(line.substr(i, MIN_SECRET_LENGTH));
        if (!candidates) continue;
        for (const needle of candidates) {
          if (!found.has(needle.what) && line.startsWith(needle.text, i)) {
            found.add(needle.what);
            result.hits.push({ what: needle.what, where, file: path.basename(file), line: index + 1 });
          }
        }
      }
    });
    return lines;
  };

  // Each service's own files, with the checks that its capture really worked.
  const manifests = pick(".json").map(
    (file) => [file, JSON.parse(readFileSync(file, "utf8")) as ServiceManifest] as const,
  );
  result.services = manifests.length;
  for (const [file, manifest] of manifests) {
    const base = file.slice(0, -".json".length);
    const logLines = safe(() => search(`${base}.log`, "log"), []);
    result.logLines += logLines.length;
    if (manifest.canary && !logLines.some((line) => line.includes(manifest.canary!)))
      result.problems.push(`the log of ${manifest.label} was not captured (its canary line is missing)`);
    if (manifest.failedToStart) continue;
    if (!manifest.stoppedAt) {
      result.warnings.push(`${manifest.label} was never stopped: its database rows were not checked`);
      continue;
    }
    if (manifest.dumpError || !manifest.tables) {
      result.warnings.push(
        `the database of ${manifest.label} could not be dumped: ${manifest.dumpError ?? "no tables"}`,
      );
      continue;
    }
    result.tables += manifest.tables;
    result.rows += safe(() => search(`${base}.rows.jsonl`, "rows"), []).length;
  }
  for (const file of pick(".errors.jsonl")) result.errors += search(file, "errors").length;

  if (result.services > 0) {
    if (result.secrets === 0) result.problems.push("no secret was recorded: the sweep is vacuous");
    if (result.logLines === 0) result.problems.push("no log line was captured: the sweep is vacuous");
  }
  if (floors) {
    const counts: Record<keyof SweepFloors, number> = {
      services: result.services,
      acsTokens: result.acsTokens,
      bearerTokens: result.bearerTokens,
      logLines: result.logLines,
      rows: result.rows,
      errors: result.errors,
    };
    for (const [name, floor] of Object.entries(floors) as Array<[keyof SweepFloors, number]>) {
      if (counts[name] < floor)
        result.problems.push(`only ${counts[name]} ${name} on a full run (expected at least ${floor})`);
    }
  }
  return result;
}

function safe<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return fallback;
    throw error;
  }
}

export function summaryLine(r: SweepResult): string {
  if (r.services === 0 && r.secrets === 0)
    return `secret sweep: no service was started in this run [${r.dir}]`;
  return (
    `secret sweep: ${r.secrets} secrets (${r.acsTokens} ACS tokens, ${r.bearerTokens} bearer tokens; ` +
    `${r.needles} search strings, ${r.tooShort} too short to search) from ${r.services} services, ` +
    `searched ${r.logLines} log lines, ${r.rows} rows in ${r.tables} tables, ${r.errors} errors and bodies clients received: ` +
    `hits=${r.hits.length} [${r.dir}]`
  );
}

/** Where each kind of secret was found (file and line numbers), and why the sweep is untrustworthy. */
export function failureReport(r: SweepResult, serviceLabels: Record<string, string> = {}): string {
  const groups = new Map<string, number[]>();
  for (const hit of r.hits) {
    const key = `${hit.what}\u0000${hit.where}\u0000${hit.file}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(hit.line);
  }
  const lines = [...groups].map(([key, at]) => {
    const [what, where, file] = key.split("\u0000");
    const service = serviceLabels[file.replace(/\.(log|rows\.jsonl)$/, "")];
    const shown = at.slice(0, 10).join(", ") + (at.length > 10 ? ", ..." : "");
    return `  ${at.length}× ${what} in ${where} ${file}${service ? ` (${service})` : ""}, line ${shown}`;
  });
  return [
    `secret sweep FAILED: ${r.hits.length} hits, ${r.problems.length} problems (artifacts in ${r.dir})`,
    ...lines,
    ...r.problems.map((problem) => `  problem: ${problem}`),
  ].join("\n");
}

/** svc-<pid>-<random>-<n> → its label, for reports. */
export function serviceLabels(dir: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    labels[file.slice(0, -".json".length)] = (
      JSON.parse(readFileSync(path.join(dir, file), "utf8")) as ServiceManifest
    ).label;
  }
  return labels;
}
