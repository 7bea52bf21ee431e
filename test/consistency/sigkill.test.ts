// SIGKILL mid-create and mid-delete, repeated, with the built service as a child process and ACS (the
// emulator) outside it, as in production. ACS is slowed so that every kill lands while creates and
// deletes are in flight. After a restart and the reconciler: no identity in ACS without a row, no
// delete left pending, and every row has its identity.create audit event.
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { loadOrCreateDevIssuer } from "../../src/auth";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { openStore, type DatabaseSettings } from "../../src/store";
import { consistencyOf } from "../support/acs-ledger";
import { seedEmbeddedDatabase } from "../support/database-template";
import { scratchDir } from "../support/scratch";
import { builtFile } from "../support/build";
import { stopGracefully, waitForLine } from "../support/child-process";
import { describeWithPostgres } from "../support/postgres";

const CYCLES = 3;
const MINTS_PER_CYCLE = 6;
const DELETES_PER_CYCLE = 2;
const MINT = `mutation { issueMyAccessToken(scopes: [CHAT]) { identity { id } } }`;
const DELETE = `mutation($id: ID!) { deleteCommunicationIdentity(identityId: $id) { id } }`;
const RECONCILE = `mutation { reconcileIdentities { completedDeletes recordedCreates discardedCreates unresolvedCreates failures } }`;
const PENDING = `{ pendingIdentityOperations { deletes { id } creations { outcome } } }`;

interface Service {
  child: ChildProcess;
  url: string;
}

async function killRun(database: DatabaseSettings) {
  const dataDir = scratchDir("sigkill-service-");
  const emulatorDir = scratchDir("sigkill-acs-");
  const emulator: RunningEmulator = await startEmulator({ dataDir: emulatorDir });
  const issuer = await loadOrCreateDevIssuer(dataDir);
  // The data folder's database is the run's migrated template: a first start's initdb is tested elsewhere.
  if (database.kind === "embedded") await seedEmbeddedDatabase(path.join(dataDir, "db"));
  const children: ChildProcess[] = [];
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    PORT: "0",
    LOG_LEVEL: "silent",
    ACS_CONNECTION_STRING: `endpoint=${emulator.endpoint};accesskey=${emulator.accessKey}`,
    ACS_CUSTOM_ID: "true",
    // A short ACS timeout makes a killed request's lease (timeout + 5 s) run out soon after restart.
    ACS_TIMEOUT_MS: "3000",
    RECONCILE_INTERVAL_SECONDS: "0",
    RATE_LIMIT_MINT_PER_MINUTE_PER_ADDRESS: "10000",
    RATE_LIMIT_CREATE_PER_MINUTE_PER_ADDRESS: "10000",
    RATE_LIMIT_DELETE_PER_MINUTE: "10000",
    RATE_LIMIT_DELETE_PER_MINUTE_PER_ADDRESS: "10000",
    ...(database.kind === "postgres" ? { DATABASE_URL: database.url } : {}),
  };
  const start = async (): Promise<Service> => {
    const child = spawn(process.execPath, [builtFile("src/main.js")], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    const [, url] = await waitForLine(child, /ready: (http:\/\/\S+\/graphql)/);
    return { child, url };
  };
  const call = async (service: Service, subject: string, roles: string[], query: string, variables = {}) => {
    const token = await issuer.sign({ sub: subject, roles });
    const response = await fetch(service.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> };
  };
  const killed = async (child: ChildProcess) => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  };
  const requestsReached = async (count: number) => {
    while (emulator.stats().requests < count) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  const counts = { mintsSent: 0, deletesSent: 0, killedWith: [] as number[] };
  try {
    const made: string[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle += 1) {
      const service = await start();
      // Identities to delete in this cycle: made (and answered) before ACS is slowed.
      for (let i = 0; i < DELETES_PER_CYCLE; i += 1) {
        const result = await call(service, `victim-${cycle}-${i}`, ["user"], MINT);
        made.push(result.data.issueMyAccessToken.identity.id);
      }
      emulator.faults.set([{ kind: "latency", latencyMs: 1_500, pathPrefix: "/identities" }]);
      const before = emulator.stats().requests;
      const inFlight = [
        ...Array.from({ length: MINTS_PER_CYCLE }, (_, i) =>
          call(service, `killed-${cycle}-${i}`, ["user"], MINT).catch(() => undefined),
        ),
        ...made
          .slice(-DELETES_PER_CYCLE)
          .map((id) => call(service, "ops", ["admin"], DELETE, { id }).catch(() => undefined)),
      ];
      counts.mintsSent += MINTS_PER_CYCLE;
      counts.deletesSent += DELETES_PER_CYCLE;
      // Kill once every create and delete has reached ACS, while ACS is still working on them.
      await requestsReached(before + MINTS_PER_CYCLE + DELETES_PER_CYCLE);
      await killed(service.child);
      await Promise.all(inFlight);
      emulator.faults.clear();
      counts.killedWith.push(emulator.stats().requests - before);
    }

    const beforeRecovery = await measure(database, dataDir, emulatorDir);
    const service = await start();
    const passes: unknown[] = [];
    // The killed requests' leases run out a few seconds after the kill; until then they are left alone.
    for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
      passes.push((await call(service, "ops", ["admin"], RECONCILE)).data?.reconcileIdentities);
      const pending = await call(service, "ops", ["admin"], PENDING);
      const { deletes, creations } = pending.data.pendingIdentityOperations;
      if (deletes.length === 0 && creations.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(await stopGracefully(service.child)).toBe(0);
    const after = await measure(database, dataDir, emulatorDir);
    const report = { database: database.kind, counts, beforeRecovery, passes: passes.filter(Boolean), after };
    console.log(JSON.stringify(report));
    return report;
  } finally {
    for (const child of children) child.kill("SIGKILL");
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(emulatorDir, { recursive: true, force: true });
  }
}

/** The service is stopped: the embedded database's folder may be opened here. */
async function measure(database: DatabaseSettings, dataDir: string, emulatorDir: string) {
  const store = await openStore(
    database.kind === "embedded" ? { kind: "embedded", dir: path.join(dataDir, "db") } : database,
  );
  try {
    return await consistencyOf(store.db, emulatorDir);
  } finally {
    await store.close();
  }
}

function expectRecovered(run: Awaited<ReturnType<typeof killRun>>) {
  expect(run.after.orphans).toBe(0);
  expect(run.after.pendingDeletes).toBe(0);
  expect(run.after.rowsWithoutCreateEvent).toBe(0);
  expect(run.after.acsIdentities).toBe(run.after.activeRows);
}

test("SIGKILL mid-create and mid-delete, repeated, leaves nothing behind after the reconciler (embedded)", async () => {
  expectRecovered(await killRun({ kind: "embedded", dir: "(the service's data folder)" }));
}, 300_000);

describeWithPostgres("SIGKILL mid-create and mid-delete on PostgreSQL", (database) => {
  test("leaves nothing behind after the reconciler", async () => {
    expectRecovered(await killRun({ kind: "postgres", url: database().url, poolSize: 4 }));
  }, 300_000);
});
