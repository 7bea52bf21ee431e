// The whole-suite secret sweep checks itself: it finds a planted leak (a whole token, one segment of
// one, an access key) in logs, rows and client errors, reports where without repeating the secret, and
// refuses to pass when it captured too little to mean anything.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SWEEP_DIR_ENV } from "../support/secret-sweep";
import { failureReport, scanSweep, serviceLabels, type SweepFloors } from "../support/secret-sweep-scan";
import { startTestService } from "../support/service";
import * as op from "../support/operations";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

// Tests here start services (or emulators, or child processes) of their own.
jest.setTimeout(SERVICE_START_TIMEOUT_MS);

const acsToken = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ skypeid: "acs:1", scp: 1792 })).toString("base64url")}.${"A1b2C3d4".repeat(40)}`;
const bearer = `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: "alice", roles: ["user"] })).toString("base64url")}.${"Zz9Yy8Xx".repeat(10)}`;
const accessKey = "bm90LWEtcmVhbC1rZXktYnV0LWxvbmctZW5vdWdoLXRvLXNlYXJjaA==";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "secret-sweep-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** One service's worth of sweep files, clean unless a test plants something. */
function writeRun(
  files: { log?: string[]; rows?: string[]; errors?: string[]; canaryLogged?: boolean } = {},
) {
  const canary = "c".repeat(32);
  writeFileSync(
    path.join(dir, "svc-1-1.json"),
    JSON.stringify({
      label: "test/x.test.ts #1",
      testFile: "test/x.test.ts",
      pid: 1,
      logMode: "sweep",
      canary,
      startedAt: "2026-11-25T08:00:00.000Z",
      stoppedAt: "2026-11-25T08:00:01.000Z",
      tables: 2,
      rows: (files.rows ?? []).length + 1,
    }),
  );
  const log = [
    ...(files.canaryLogged === false ? [] : [JSON.stringify({ sweepCanary: canary })]),
    JSON.stringify({ requestId: "r-1", msg: "graphql", code: "OK" }),
    ...(files.log ?? []),
  ];
  writeFileSync(path.join(dir, "svc-1-1.log"), `${log.join("\n")}\n`);
  const rows = [
    JSON.stringify({ table: "public.audit_events", row: { actor: "alice" } }),
    ...(files.rows ?? []),
  ];
  writeFileSync(path.join(dir, "svc-1-1.rows.jsonl"), `${rows.join("\n")}\n`);
  const errors = [JSON.stringify({ origin: "x", error: { errors: [{ message: "Forbidden." }] } })];
  writeFileSync(path.join(dir, "p1.errors.jsonl"), `${[...errors, ...(files.errors ?? [])].join("\n")}\n`);
  writeFileSync(
    path.join(dir, "p1.secrets.jsonl"),
    [
      { kind: "ACS access token", value: acsToken },
      { kind: "bearer token", value: bearer },
      { kind: "emulator access key", value: accessKey },
      { kind: "authorization header value", value: "short" },
    ]
      .map((record) => JSON.stringify({ ...record, origin: "test" }))
      .join("\n") + "\n",
  );
}

test("a clean run has no hits and no problems", () => {
  writeRun();
  const result = scanSweep(dir);
  expect(result).toMatchObject({ services: 1, secrets: 4, tooShort: 1, logLines: 2, rows: 1, errors: 1 });
  expect(result.hits).toEqual([]);
  expect(result.problems).toEqual([]);
});

test("whole tokens, single segments and keys are found in logs, rows and errors, reported without the secret", () => {
  const [, payload, signature] = bearer.split(".");
  writeRun({
    log: [JSON.stringify({ msg: `verified ${acsToken}` }), JSON.stringify({ note: `sig=${signature}` })],
    rows: [JSON.stringify({ table: "public.identities", row: { cache: payload } })],
    errors: [JSON.stringify({ origin: "y", error: { message: `bad key ${encodeURIComponent(accessKey)}` } })],
  });
  const result = scanSweep(dir);
  expect(result.hits.map((hit) => [hit.what, hit.where, hit.file, hit.line]).sort()).toEqual(
    [
      ["ACS access token (payload segment)", "log", "svc-1-1.log", 3],
      ["ACS access token (signature segment)", "log", "svc-1-1.log", 3],
      ["bearer token (signature segment)", "log", "svc-1-1.log", 4],
      ["bearer token (payload segment)", "rows", "svc-1-1.rows.jsonl", 2],
      ["emulator access key (URL-encoded)", "errors", "p1.errors.jsonl", 2],
    ].sort(),
  );
  const report = failureReport(result, serviceLabels(dir));
  expect(report).toContain("bearer token (signature segment) in log svc-1-1.log (test/x.test.ts #1), line 4");
  for (const secret of [acsToken, payload, signature, accessKey, encodeURIComponent(accessKey)])
    expect(report).not.toContain(secret);
});

test("a sweep that captured nothing, or lost a service's log, fails instead of passing", () => {
  writeRun({ canaryLogged: false });
  expect(scanSweep(dir).problems).toEqual([
    "the log of test/x.test.ts #1 was not captured (its canary line is missing)",
  ]);
  writeRun();
  rmSync(path.join(dir, "p1.secrets.jsonl"));
  expect(scanSweep(dir).problems).toContain("no secret was recorded: the sweep is vacuous");
  writeRun();
  const floors: SweepFloors = { services: 1, acsTokens: 2, bearerTokens: 1, logLines: 1, rows: 1, errors: 1 };
  expect(scanSweep(dir, floors).problems).toEqual(["only 1 acsTokens on a full run (expected at least 2)"]);
});

test("the real capture: a service's planted leak is found in its log, its rows are dumped, client errors recorded", async () => {
  const previous = process.env[SWEEP_DIR_ENV];
  process.env[SWEEP_DIR_ENV] = dir;
  try {
    const service = await startTestService();
    try {
      const alice = await service.as("alice", ["user"]);
      const minted = (await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).data!.issueMyAccessToken;
      expect((await alice.request(op.DELETE, { id: minted.identity.id })).errors[0].code).toBe("FORBIDDEN");
      // The plant: one segment of the ACS token, under a name no redaction knows.
      service.logger.info({ note: minted.token.split(".")[2] }, "planted");
    } finally {
      await service.stop();
    }
  } finally {
    process.env[SWEEP_DIR_ENV] = previous;
  }
  const result = scanSweep(dir);
  expect(result.hits.map((hit) => `${hit.what} in ${hit.where}`)).toEqual([
    "ACS access token (signature segment) in log",
  ]);
  expect(result.problems).toEqual([]);
  expect(result).toMatchObject({ services: 1, acsTokens: 1 });
  expect(result.bearerTokens).toBeGreaterThanOrEqual(1);
  const secretKinds = readdirSync(dir)
    .filter((file) => file.endsWith(".secrets.jsonl"))
    .flatMap((file) => readFileSync(path.join(dir, file), "utf8").trim().split("\n"))
    .map((line) => (JSON.parse(line) as { kind: string }).kind);
  expect(new Set(secretKinds)).toEqual(
    new Set([
      "emulator access key",
      "emulator connection string",
      "dev issuer private key",
      "bearer token",
      "ACS access token",
    ]),
  );
  const tables = readFileSync(
    path.join(
      dir,
      readdirSync(dir).find((f) => f.endsWith(".rows.jsonl"))!,
    ),
    "utf8",
  )
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { table: string }).table);
  expect(tables).toEqual(expect.arrayContaining(["public.identities", "public.audit_events"]));
  expect(result.errors).toBe(1);
});
