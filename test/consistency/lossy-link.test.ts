// A lossy link between the service and ACS: a share of ACS's answers is lost after ACS did the work.
// New users mint, and each client retries a failed mint once, as a tokenRefresher would. ACS has no
// API to list identities, so an identity it made that the service did not record would be lost for
// good: after the run (and the reconciler) there must be none.
import { rmSync } from "node:fs";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { consistencyOf } from "../support/acs-ledger";
import { startLossyProxy, type LossyProxy } from "../support/lossy-proxy";
import { describeWithPostgres } from "../support/postgres";
import { scratchDir } from "../support/scratch";
import { startTestService, type TestService } from "../support/service";

const USERS = 40;
const CONCURRENCY = 8;
const MINT = `mutation { issueMyAccessToken(scopes: [CHAT]) { token identity { id owner } } }`;
const RECONCILE = `mutation { reconcileIdentities { completedDeletes recordedCreates discardedCreates unresolvedCreates } }`;

// Generous limits: this test is about the link, not the quotas.
const LIMITS = {
  RATE_LIMIT_MINT_PER_MINUTE_PER_ADDRESS: "10000",
  RATE_LIMIT_CREATE_PER_MINUTE_PER_ADDRESS: "10000",
  ACS_TIMEOUT_MS: "20000",
};

const PENDING = `{ pendingIdentityOperations { creations { outcome } } }`;

async function lossyRun(
  database: { kind: "embedded" } | { kind: "postgres"; url: string },
  { customId = true } = {},
) {
  const emulatorDir = scratchDir("lossy-acs-");
  let emulator: RunningEmulator | undefined;
  let proxy: LossyProxy | undefined;
  let service: TestService | undefined;
  try {
    emulator = await startEmulator({ dataDir: emulatorDir });
    proxy = await startLossyProxy(emulator.port, { lossRatio: 0.3, seed: 7 });
    service = await startTestService(
      {
        ...LIMITS,
        ACS_CONNECTION_STRING: `endpoint=${proxy.endpoint};accesskey=${emulator.accessKey}`,
        // The emulator speaks customId, as the preview API does; off, creates are never repeated.
        ACS_CUSTOM_ID: String(customId),
      },
      // Embedded: the test service's own copy of the run's migrated database.
      { database: database.kind === "postgres" ? { ...database, poolSize: 10 } : undefined },
    );
    const outcomes = { requests: 0, ok: 0, okAfterRetry: 0, failed: 0, codes: {} as Record<string, number> };
    const queue = Array.from({ length: USERS }, (_, i) => `lossy-user-${i}`);
    const mintOnce = async (user: string) => {
      const client = await service!.as(user, ["user"]);
      outcomes.requests += 1;
      const result = await client.request(MINT);
      for (const error of result.errors)
        outcomes.codes[error.code ?? "?"] = (outcomes.codes[error.code ?? "?"] ?? 0) + 1;
      return result.errors.length === 0;
    };
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let user = queue.shift(); user; user = queue.shift()) {
          if (await mintOnce(user)) {
            outcomes.ok += 1;
            continue;
          }
          const retried = await mintOnce(user); // once, as a tokenRefresher would
          if (retried) outcomes.okAfterRetry += 1;
          else outcomes.failed += 1;
        }
      }),
    );
    const before = await consistencyOf(service.store.db, emulatorDir);
    proxy.setLossRatio(0);
    const admin = await service.as("ops", ["admin"]);
    const reconciled = await admin.request(RECONCILE);
    const after = await consistencyOf(service.store.db, emulatorDir);
    const pending = (await admin.request(PENDING)).data?.pendingIdentityOperations.creations ?? [];
    const unknownCreates = pending.filter((c: { outcome: string }) => c.outcome === "UNKNOWN").length;
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const unknownGauge = Number(/^acs_identity_creates_unknown (\S+)$/m.exec(metrics)?.[1]);
    const report = {
      database: database.kind,
      customId,
      lostAnswers: proxy.dropped,
      outcomes,
      before,
      reconciled,
      after,
      unknownCreates,
      unknownGauge,
    };
    console.log(JSON.stringify(report));
    return { ...report, reconciled };
  } finally {
    await service?.stop();
    await proxy?.close();
    await emulator?.close();
    rmSync(emulatorDir, { recursive: true, force: true });
  }
}

function expectNoOrphans(run: Awaited<ReturnType<typeof lossyRun>>) {
  expect(run.lostAnswers).toBeGreaterThan(0); // the link did lose answers
  expect(run.reconciled.errors).toEqual([]);
  expect(run.after.orphans).toBe(0);
  expect(run.after.rowsWithoutCreateEvent).toBe(0);
  // One identity per user at most; every user who got an answer has exactly one.
  expect(run.after.acsIdentities).toBe(run.after.rows);
  expect(run.after.rows).toBeLessThanOrEqual(USERS);
  expect(run.outcomes.ok + run.outcomes.okAfterRetry).toBeGreaterThan(0);
}

test("a lossy link leaves no identity in ACS without a row (embedded database)", async () => {
  expectNoOrphans(await lossyRun({ kind: "embedded" }));
}, 180_000);

test("without customId, no create is repeated and every identity left in ACS is listed as unknown", async () => {
  const run = await lossyRun({ kind: "embedded" }, { customId: false });
  expect(run.lostAnswers).toBeGreaterThan(0);
  // The proxy loses only answers: each create whose answer was lost made exactly one identity.
  expect(run.after.orphans).toBeGreaterThan(0);
  expect(run.unknownCreates).toBe(run.after.orphans);
  expect(run.unknownGauge).toBe(run.unknownCreates);
  expect(run.after.rowsWithoutCreateEvent).toBe(0);
}, 180_000);

describeWithPostgres("a lossy link on PostgreSQL", (database) => {
  test("leaves no identity in ACS without a row", async () => {
    expectNoOrphans(await lossyRun({ kind: "postgres", url: database().url }));
  }, 180_000);
});
