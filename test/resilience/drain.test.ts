// SIGTERM under load with a slow ACS, on the built service (a child process), PostgreSQL and the
// emulator (in this process, so its identities can be counted). Every request either completes or is
// never started: a client may be refused (503 SERVICE_UNAVAILABLE, or the connection refused), but
// no request the server accepted is lost, so ACS holds exactly one identity per completed request.
// When the drain limit cuts requests off, each is logged and the exit code says so.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { loadOrCreateDevIssuer } from "../../src/auth";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { openStore } from "../../src/store";
import { builtFile } from "../support/build";
import { waitForLine } from "../support/child-process";
import * as op from "../support/operations";
import { describeWithPostgres } from "../support/postgres";
import { captureProcess, recordSecret } from "../support/secret-sweep";

const CLIENTS = 8;

interface Run {
  exitCode: number | null;
  completed: string[];
  /** Told SERVICE_UNAVAILABLE (never started) or the connection was refused. */
  refused: string[];
  /** The connection broke after the request was sent. */
  reset: string[];
  other: string[];
  completedAfterSignal: number;
  logLines: string[];
  acsIdentitiesCreated: number;
}

describeWithPostgres("SIGTERM under load with a slow ACS", (database) => {
  let emulator: RunningEmulator;
  let emulatorDir: string;
  beforeAll(async () => {
    emulatorDir = mkdtempSync(path.join(os.tmpdir(), "drain-emulator-"));
    emulator = await startEmulator({ dataDir: emulatorDir });
  });
  afterAll(async () => {
    await emulator?.close();
    rmSync(emulatorDir, { recursive: true, force: true });
  });

  async function run(name: string, settings: { latencyMs: number; graceMs: number; limitMs: number }) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "drain-"));
    const child = spawn(process.execPath, [builtFile("src/main.js")], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATA_DIR: dataDir,
        PORT: "0",
        LOG_LEVEL: "info",
        DATABASE_URL: database().url,
        ACS_CONNECTION_STRING: emulator.connectionString,
        DRAIN_GRACE_MS: String(settings.graceMs),
        DRAIN_LIMIT_MS: String(settings.limitMs),
        RATE_LIMIT_MINT_PER_MINUTE_PER_ADDRESS: "1000",
        RATE_LIMIT_CREATE_PER_MINUTE_PER_ADDRESS: "1000",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const capture = captureProcess(child, `drain ${name} (test/resilience/drain.test.ts)`);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const logLines: string[] = [];
    try {
      const [, url] = await waitForLine(child, /ready: (http:\/\/\S+\/graphql)/, logLines);
      const issuer = await loadOrCreateDevIssuer(dataDir);
      emulator.faults.set([{ kind: "latency", latencyMs: settings.latencyMs }]);
      const createdBefore = emulator.stats().identitiesCreated;

      const result: Omit<Run, "exitCode" | "logLines" | "acsIdentitiesCreated"> = {
        completed: [],
        refused: [],
        reset: [],
        other: [],
        completedAfterSignal: 0,
      };
      let signalled = false;
      let onCompleted: () => void = () => undefined;
      const enoughCompleted = new Promise<void>((resolve) => (onCompleted = resolve));

      const client = async (i: number) => {
        for (let n = 0; ; n++) {
          const subject = `${name}-c${i}-${n}`;
          const bearer = await issuer.sign({ sub: subject, roles: ["user"] });
          recordSecret("bearer token", bearer);
          try {
            const response = await fetch(url, {
              method: "POST",
              headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
              body: JSON.stringify({ query: op.ISSUE_MY, variables: { scopes: ["CHAT"] } }),
            });
            const body = (await response.json()) as {
              data?: { issueMyAccessToken?: { token: string } } | null;
              errors?: Array<{ extensions?: { code?: string } }>;
            };
            const minted = body.data?.issueMyAccessToken;
            if (minted) {
              recordSecret("ACS token", minted.token);
              result.completed.push(subject);
              if (signalled) result.completedAfterSignal += 1;
              if (result.completed.length >= CLIENTS) onCompleted();
            } else if (body.errors?.[0]?.extensions?.code === "SERVICE_UNAVAILABLE") {
              result.refused.push(subject);
            } else {
              result.other.push(`${subject}: ${JSON.stringify(body.errors)}`);
            }
          } catch (error) {
            const code = (error as { cause?: { code?: string } }).cause?.code;
            if (code === "ECONNREFUSED") {
              result.refused.push(subject);
              return; // the listener is closed: this client is done
            }
            result.reset.push(subject);
          }
        }
      };
      const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));
      await enoughCompleted;
      signalled = true;
      child.kill("SIGTERM");
      const exitCode = await exited;
      await Promise.all(clients);
      const acsIdentitiesCreated = emulator.stats().identitiesCreated - createdBefore;
      return { ...result, exitCode, logLines, acsIdentitiesCreated } satisfies Run;
    } finally {
      emulator.faults.clear();
      child.kill("SIGKILL");
      if (capture) {
        const store = await openStore({ kind: "postgres", url: database().url, poolSize: 1 });
        try {
          await capture.finish(store.db);
        } finally {
          await store.close();
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  async function ownersInDatabase(prefix: string): Promise<string[]> {
    const db = new Client({ connectionString: database().url });
    await db.connect();
    try {
      const { rows } = await db.query<{ owner: string }>(
        "select owner from identities where owner like $1 order by owner",
        [`${prefix}-%`],
      );
      return rows.map((row) => row.owner);
    } finally {
      await db.end();
    }
  }

  const logged = (lines: string[], msg: string) =>
    lines.filter((line) => line.startsWith("{") && JSON.parse(line).msg === msg);

  test("with time to finish: every accepted request completes, nothing is orphaned, exit code 0", async () => {
    const run1 = await run("calm", { latencyMs: 700, graceMs: 500, limitMs: 20_000 });
    // Reported with the results, for the record (see docs/operations-runtime.md).
    console.log(
      `drain calm: completed=${run1.completed.length} (after SIGTERM ${run1.completedAfterSignal}) ` +
        `refused=${run1.refused.length} reset=${run1.reset.length} other=${run1.other.length} exit=${run1.exitCode}`,
    );
    expect(run1.other).toEqual([]);
    expect(run1.exitCode).toBe(0);
    // In-flight requests finished after the signal.
    expect(run1.completedAfterSignal).toBeGreaterThan(0);
    // One ACS identity and one row per completed request; none for a refused or broken one.
    const owners = await ownersInDatabase("calm");
    expect(owners).toEqual([...run1.completed].sort());
    expect(run1.acsIdentitiesCreated).toBe(run1.completed.length);
    // A connection broken without an answer happened only to requests the server never started.
    expect(owners.filter((owner) => run1.reset.includes(owner))).toEqual([]);
    expect(logged(run1.logLines, "drained: every accepted request finished")).toHaveLength(1);
  }, 180_000);

  test("when the limit cuts requests off: each is logged and the exit code is 3", async () => {
    const run2 = await run("cut", { latencyMs: 4_000, graceMs: 200, limitMs: 500 });
    console.log(
      `drain cut: completed=${run2.completed.length} (after SIGTERM ${run2.completedAfterSignal}) ` +
        `refused=${run2.refused.length} reset=${run2.reset.length} other=${run2.other.length} exit=${run2.exitCode}`,
    );
    // Requests cut off mid-way may leave ACS identities nobody recorded: the reconciler's work.
    const orphans = run2.acsIdentitiesCreated - (await ownersInDatabase("cut")).length;
    console.log(`drain cut: ACS identities without a row after the cut: ${orphans}`);
    expect(run2.exitCode).toBe(3);
    const cutOff = logged(run2.logLines, "drain limit reached: request cut off");
    expect(cutOff.length).toBeGreaterThan(0);
    // Every client whose request was cut off saw its connection break. On a busy machine a request
    // still unread in its socket when the connections close breaks too (seen: 8 resets for 6 cut-offs):
    // it never started, so no reset request may have stored an identity.
    expect(run2.reset.length).toBeGreaterThanOrEqual(cutOff.length);
    const stored = await ownersInDatabase("cut");
    expect(stored.filter((owner) => run2.reset.includes(owner))).toEqual([]);
    expect(cutOff.every((line) => JSON.parse(line).path === "/graphql")).toBe(true);
  }, 180_000);
});
