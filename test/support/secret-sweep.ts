// The whole-suite secret sweep, test-process side. While jest runs (SECRET_SWEEP_DIR set by
// secret-sweep-global-setup.ts), every service started through startTestService logs at trace level
// into the run folder, and everything a secret could leak into is recorded there next to the secrets
// themselves: each service's log lines, every row of every table of its database (dumped on stop), and
// every error the test clients received. secret-sweep-global-teardown.ts then searches all of it for
// every secret and fails the run on any hit (see secret-sweep-scan.ts).
//
// Files in the run folder, named by process so that parallel workers never share a file:
//   svc-<pid>-<random>-<n>.json        one per service: label, test file, log mode, canary, dump counts
//   svc-<pid>-<random>-<n>.log         its log lines (pino JSON lines)
//   svc-<pid>-<random>-<n>.rows.jsonl  its database rows, one per line, dumped just before it closed
//   proc-<pid>-<random>.{json,log,rows.jsonl}  the same for a built service run as a child process
//   p<pid>.secrets.jsonl      secrets issued or used, as { kind, value, origin }
//   p<pid>.errors.jsonl       errors and error bodies that test clients received from local services,
//                             and the service's /metrics, /healthz and /readyz bodies
import type { ChildProcess } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import pino, { type DestinationStream } from "pino";
import { createLogger, type Logger } from "../../src/server/logger";

export const SWEEP_DIR_ENV = "SECRET_SWEEP_DIR";

/** The run folder, or undefined when the sweep is off (jest started without the global setup). */
export function sweepDir(): string | undefined {
  return process.env[SWEEP_DIR_ENV] || undefined;
}

function appendRecord(name: string, record: unknown): void {
  const dir = sweepDir();
  if (!dir) return;
  appendFileSync(path.join(dir, `p${process.pid}.${name}.jsonl`), `${JSON.stringify(record)}\n`);
}

const recorded = new Set<string>();

/** Remembers a secret this process issued or used, so the teardown can search for it everywhere. */
export function recordSecret(kind: string, value: string | undefined | null, origin = currentTest()): void {
  if (!value || !sweepDir()) return;
  const key = `${kind}\u0000${value}`;
  if (recorded.has(key)) return;
  recorded.add(key);
  appendRecord("secrets", { kind, value, origin });
}

const JWT = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const IS_JWT = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** Records every JWT in `text` (ACS tokens in a response body, a bearer token in a header). */
export function recordJwtsIn(text: string, origin: string): number {
  let found = 0;
  for (const [token] of text.matchAll(JWT)) {
    recordSecret(jwtKind(token), token, origin);
    found += 1;
  }
  return found;
}

/** "ACS access token", "bearer token" or "JWT", from the token's own claims, for the report. */
export function jwtKind(token: string): string {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
    if ("skypeid" in claims || "acsScope" in claims) return "ACS access token";
    if ("sub" in claims || "iss" in claims) return "bearer token";
  } catch {
    // not JSON: still a token-shaped secret
  }
  return "JWT";
}

/** Records an error (or error body) a test client received, to be searched like a log line. */
export function recordClientError(origin: string, error: unknown): void {
  appendRecord("errors", { origin, error });
}

function currentTest(): string {
  try {
    const { testPath, currentTestName } = expect.getState();
    return [testPath ? path.relative(process.cwd(), testPath) : undefined, currentTestName]
      .filter(Boolean)
      .join(" › ");
  } catch {
    return "(outside a test)";
  }
}

// ---------------------------------------------------------------------------------------------------
// The fetch tap: every request a test makes to a local service (the GraphQL client's and any direct
// fetch) passes through unchanged; the credentials it sends and the tokens and errors it gets back are
// recorded. Only loopback URLs: that is where the services under test listen.

const TAPPED = Symbol.for("acs-identity-graph.secret-sweep.tapped");
const pendingReads = new Set<Promise<void>>();

const isLoopback = (url: string) => {
  try {
    return ["127.0.0.1", "localhost", "[::1]"].includes(new URL(url).hostname);
  } catch {
    return false;
  }
};

export function tapFetch(inner: typeof fetch): typeof fetch {
  if (!sweepDir() || (inner as unknown as Record<symbol, unknown>)[TAPPED]) return inner;
  const tapped = async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!isLoopback(url)) return inner(input, init);
    const origin = `${currentTest()} → ${new URL(url).pathname}`;
    recordCredentials(
      init?.headers ?? (typeof input === "object" && "headers" in input ? input.headers : undefined),
      origin,
    );
    // Tokens passed as GraphQL variables (a Teams token to exchange, a token to validate).
    if (typeof init?.body === "string")
      for (const [token] of init.body.matchAll(JWT))
        recordSecret(`${jwtKind(token)} (in a request body)`, token, origin);
    const response = await inner(input, init);
    const read = readResponse(response.clone(), new URL(url).pathname, origin);
    pendingReads.add(read);
    void read.finally(() => pendingReads.delete(read));
    return response;
  };
  return Object.assign(tapped, { [TAPPED]: true }) as typeof fetch;
}

function recordCredentials(init: RequestInit["headers"], origin: string): void {
  let headers: Headers;
  try {
    headers = new Headers(init);
  } catch {
    return; // headers fetch itself will refuse, with its own error
  }
  for (const name of ["authorization", "proxy-authorization", "cookie", "x-api-key"]) {
    const value = headers.get(name);
    if (!value) continue;
    // The credentials after the scheme ("Bearer ", "Basic "); a bare value is taken whole.
    const credentials = value.replace(/^\s*(Bearer|Basic|HMAC-SHA256)\s+/i, "").trim();
    recordSecret(
      IS_JWT.test(credentials) ? jwtKind(credentials) : `${name} header value`,
      credentials,
      origin,
    );
  }
}

const SERVICE_PAGES = new Set(["/metrics", "/healthz", "/readyz"]);

async function readResponse(response: Response, pathname: string, origin: string): Promise<void> {
  let text: string;
  try {
    text = await response.text();
  } catch {
    return; // aborted or reset: nothing was received
  }
  recordJwtsIn(text, origin);
  let body: { errors?: unknown } | undefined;
  try {
    body = JSON.parse(text) as { errors?: unknown };
  } catch {
    body = undefined;
  }
  // The service's own non-GraphQL answers are searched whole: metrics labels and health details
  // must not carry a secret either. (Not every loopback body: the emulator's rightly hold ACS tokens.)
  if (SERVICE_PAGES.has(pathname)) {
    recordClientError(origin, { status: response.status, body: text.slice(0, 1_000_000) });
  } else if (Array.isArray(body?.errors) && body.errors.length > 0) {
    recordClientError(origin, { status: response.status, errors: body.errors });
  } else if (response.status >= 400) {
    recordClientError(origin, { status: response.status, body: text.slice(0, 65_536) });
  }
}

/** Waits (bounded: a streamed body may never end) for the tap to finish reading the responses. */
export async function settleFetchTaps(timeoutMs = 2_000): Promise<void> {
  if (pendingReads.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([...pendingReads]),
    new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------------
// One service's capture: its logger (or a tee of the test's own), its manifest, its row dump.

export interface ServiceManifest {
  label: string;
  testFile: string;
  pid: number;
  /**
   * sweep: our trace logger; tee: the test's own logger, copied; silent: the test's logger logs nothing;
   * process: a built service run as a child process, its stdout and stderr.
   */
  logMode: "sweep" | "tee" | "silent" | "process";
  /** A random value logged once at start: finding it proves this service's log reached the file. */
  canary: string | null;
  startedAt: string;
  stoppedAt?: string;
  failedToStart?: boolean;
  tables?: number;
  rows?: number;
  dumpError?: string;
}

export interface ServiceCapture {
  logger: Logger;
  /** Dumps every row of every table of the database; call before the database closes. */
  dumpDatabase(db: Kysely<any>): Promise<void>;
  /** Flushes and closes the log file; later lines are still appended (synchronously). */
  finish(outcome?: { failedToStart?: boolean }): Promise<void>;
}

let serviceCount = 0;

/** Starts capturing a service's logs, or returns undefined when the sweep is off. */
export function captureService(testLogger?: Logger): ServiceCapture | undefined {
  const dir = sweepDir();
  if (!dir) return undefined;
  serviceCount += 1;
  // jest re-evaluates this module for every test file, so the count restarts per file while the
  // worker process (and its pid) stays: the random part keeps files of different test files apart.
  const base = path.join(dir, `svc-${process.pid}-${randomBytes(4).toString("hex")}-${serviceCount}`);
  const testFile = (() => {
    try {
      return path.relative(process.cwd(), expect.getState().testPath ?? "");
    } catch {
      return "";
    }
  })();
  const file = `${base}.log`;
  const destination = pino.destination({ dest: file, sync: false, mkdir: true });
  let open = true;
  // Lines logged after stop (a straggling request) still count: appended synchronously.
  const sink: DestinationStream = {
    write(line: string) {
      if (open) destination.write(line);
      else appendFileSync(file, line);
    },
  };

  let logger: Logger;
  let logMode: ServiceManifest["logMode"];
  if (testLogger) {
    // Tee: the test keeps its own logger (and its own level); every line it writes also lands here.
    const streamSym = pino.symbols.streamSym as unknown as keyof Logger;
    const original = testLogger[streamSym] as unknown as DestinationStream;
    const tee = new Proxy(original, {
      get: (target, key, receiver) =>
        key === "write"
          ? (line: string) => {
              sink.write(line);
              return target.write(line);
            }
          : Reflect.get(target, key, receiver),
    });
    (testLogger as unknown as Record<PropertyKey, unknown>)[streamSym] = tee;
    logger = testLogger;
    logMode = testLogger.level === "silent" ? "silent" : "tee";
  } else {
    const level = process.env.TEST_LOG_LEVEL;
    // TEST_LOG_LEVEL still shows the logs on stdout; the file always gets everything.
    const stream =
      level && level !== "silent"
        ? pino.multistream([
            { level: "trace", stream: sink },
            { level: level as pino.Level, stream: process.stdout },
          ])
        : sink;
    logger = createLogger("trace", stream);
    logMode = "sweep";
  }

  const manifest: ServiceManifest = {
    label: `${testFile || "(no test file)"} #${serviceCount}`,
    testFile,
    pid: process.pid,
    logMode,
    canary: null,
    startedAt: new Date().toISOString(),
  };
  if (logMode !== "silent") {
    manifest.canary = randomBytes(16).toString("hex");
    logger[logger.level as pino.Level]({ sweepCanary: manifest.canary }, "secret sweep: log capture check");
  }
  const writeManifest = () => writeFileSync(`${base}.json`, JSON.stringify(manifest, null, 2));
  writeManifest();

  return {
    logger,
    async dumpDatabase(db) {
      await dumpInto(manifest, db, base);
      writeManifest();
    },
    async finish(outcome = {}) {
      await settleFetchTaps();
      if (open) {
        open = false;
        await new Promise<void>((resolve) => {
          destination.once("close", () => resolve());
          destination.once("error", () => resolve());
          destination.end();
        });
      }
      manifest.stoppedAt = new Date().toISOString();
      if (outcome.failedToStart) manifest.failedToStart = true;
      writeManifest();
    },
  };
}

/** Dumps the rows next to the capture's other files and notes the counts, or why it failed, in its manifest. */
async function dumpInto(manifest: ServiceManifest, db: Kysely<any>, base: string): Promise<void> {
  try {
    const counts = await dumpRows(db, `${base}.rows.jsonl`);
    manifest.tables = counts.tables;
    manifest.rows = counts.rows;
  } catch (error) {
    manifest.dumpError = error instanceof Error ? error.message : String(error);
  }
}

/** Every row of every table in the database's schema search path (not just the tables we know). */
export async function dumpRows(db: Kysely<any>, file: string): Promise<{ tables: number; rows: number }> {
  const tables = await sql<{ schema: string; name: string }>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema = any (current_schemas(false))
    order by 1, 2`.execute(db);
  mkdirSync(path.dirname(file), { recursive: true });
  let rows = 0;
  const lines: string[] = [];
  for (const { schema, name } of tables.rows) {
    const result = await sql`select * from ${sql.table(`${schema}.${name}`)}`.execute(db);
    for (const row of result.rows) {
      lines.push(JSON.stringify({ table: `${schema}.${name}`, row }, jsonValue));
      rows += 1;
    }
  }
  writeFileSync(file, lines.length ? `${lines.join("\n")}\n` : "");
  return { tables: tables.rows.length, rows };
}

// Bytes as text and as base64 (a secret stored in a bytea column is found either way); bigints as text.
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  // (ArrayBuffer.isView, not instanceof: the driver's arrays may come from another realm than jest's.)
  const isBufferJson = (value as { type?: unknown } | null)?.type === "Buffer";
  if (ArrayBuffer.isView(value) || isBufferJson) {
    const bytes = isBufferJson
      ? Buffer.from((value as { data: number[] }).data)
      : Buffer.from(
          (value as ArrayBufferView).buffer,
          (value as ArrayBufferView).byteOffset,
          (value as ArrayBufferView).byteLength,
        );
    return { bytesUtf8: bytes.toString("utf8"), bytesBase64: bytes.toString("base64") };
  }
  return value;
}

/** Reads the development issuer's private key (its `d`), when the data folder holds one. */
export function devIssuerPrivateKey(dataDir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(dataDir, "dev-issuer.json"), "utf8")) as { d?: string }).d;
  } catch {
    return undefined;
  }
}

/** The password in a URL with credentials (postgres://user:password@host), if any. */
export function urlPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** The access key in an ACS connection string. */
export function accessKeyOf(connectionString: string | undefined): string | undefined {
  return connectionString ? /accesskey=([^;]+)/i.exec(connectionString)?.[1] : undefined;
}

/**
 * Captures a built service run as a child process (`npm start`): its stdout and stderr are its log.
 * `finish` after it has exited, with its database opened again from its data folder when it had one.
 */
export function captureProcess(
  child: ChildProcess,
  label: string,
): { finish(db?: Kysely<any>): Promise<void> } | undefined {
  const dir = sweepDir();
  if (!dir) return undefined;
  const base = path.join(dir, `proc-${process.pid}-${randomBytes(4).toString("hex")}`);
  const manifest: ServiceManifest = {
    label,
    testFile: path.relative(process.cwd(), expect.getState().testPath ?? ""),
    pid: child.pid ?? 0,
    logMode: "process",
    canary: null,
    startedAt: new Date().toISOString(),
  };
  const writeManifest = () => writeFileSync(`${base}.json`, JSON.stringify(manifest, null, 2));
  writeManifest();
  const log = (chunk: Buffer) => appendFileSync(`${base}.log`, chunk);
  child.stdout?.on("data", log);
  child.stderr?.on("data", log);
  return {
    async finish(db) {
      if (db) await dumpInto(manifest, db, base);
      else manifest.dumpError = "no database was given";
      manifest.stoppedAt = new Date().toISOString();
      writeManifest();
    },
  };
}
