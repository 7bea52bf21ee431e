// `npm run bench`: the emulator, the service, the REST baseline and the router each in its own process,
// this one the load generator. Per database (embedded, then PostgreSQL): interleaved rounds of every scenario,
// then the federation batch and the cold start. Writes bench/results/results.{json,md}; how to read
// them: docs/benchmarks.md.
//
//   BENCH_SECONDS (default 4) per throughput phase; BENCH_ROUNDS (default 3, at least 3);
//   BENCH_WARMUP_SECONDS (default 4) of unmeasured load before the throughput phases;
//   BENCH_SLICES (default 4): the turns each scenario's warm-up and throughput phase are taken in;
//   BENCH_DATABASES (default "embedded,postgres"); BENCH_DATABASE_URL (default: the tests' database).
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadOrCreateDevIssuer } from "../src/auth";
import { benchColdStart } from "./cold-start";
import { benchFederationBatch } from "./federation";
import { serveJwks } from "./jwks";
import { closedLoop, openLoop, type Operation } from "./load";
import { postgresUnavailable } from "./postgres";
import { startEmulatorProcess, stopAll, type ServerProcess } from "./processes";
import { summarize, table, type DatabaseResults, type RoundFigures } from "./report";
import {
  graphqlMint,
  mintOverGraphql,
  mintOverRest,
  restMint,
  SCENARIOS,
  sdkFloor,
  type Scenario,
} from "./scenarios";
import { prepareStack, startAndWait, type DatabaseKind, type RouterAuth } from "./stack";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3));
// A server left idle loses its optimized code: after 30 s without requests, the service spent 2.8 to 3.0
// ms of CPU per mint in its first second back and 1.1 to 1.2 from the fifth on; the REST baseline 1.6 to
// 2.1, then 0.7 to 0.8. The latency phases of the other scenarios leave a server idle for a while, so
// each round starts with this much of every scenario's load, unmeasured (in turns, like the phase).
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 4);
// Each scenario's warm-up and throughput phase are taken in this many turns (see inTurns).
const SLICES = Math.max(1, Math.round(Number(process.env.BENCH_SLICES ?? 4)));
const DATABASES = (process.env.BENCH_DATABASES ?? "embedded,postgres").split(",") as DatabaseKind[];
const CONCURRENCY = 16;
/** Virtual users, each minting as its own subject; the first 100 are the federation batch's references. */
const USERS = 128;
const RESULTS_DIR = path.resolve(__dirname, "../../bench/results");

const say = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

interface Shared {
  workDir: string;
  devKeyFile: string;
  bearers: string[];
  routerBearer: string;
  emulator: ServerProcess;
  acsConnectionString: string;
  routerAuth: RouterAuth;
  floor: Scenario;
}

/** What one scenario did over the turns of a round, summed. */
interface Turns {
  operations: number;
  seconds: number;
  serverCpuMs: number;
  emulatorCpuMs: number;
  loadGeneratorCpuMs: number;
  errors: number;
}

/**
 * Closed-loop load on every scenario in turn, `SLICES` passes of `seconds / SLICES` each, the order
 * reversed every other pass (A B C, C B A, ...): each scenario gets `seconds` in all, and a drift of the
 * machine's speed within the round reaches every scenario alike. Returns each one's sums.
 */
async function inTurns(
  scenarios: Scenario[],
  seconds: number,
  emulator: ServerProcess,
  errors: string[],
  what: string,
  firstPass: number,
): Promise<Map<Scenario, Turns>> {
  const sums = new Map<Scenario, Turns>(
    scenarios.map((s) => [
      s,
      { operations: 0, seconds: 0, serverCpuMs: 0, emulatorCpuMs: 0, loadGeneratorCpuMs: 0, errors: 0 },
    ]),
  );
  for (let pass = firstPass; pass < firstPass + SLICES; pass += 1) {
    for (const scenario of pass % 2 === 0 ? scenarios : [...scenarios].reverse()) {
      const cpuBefore = scenario.server.cpuMs();
      const emulatorBefore = emulator.cpuMs();
      const clientBefore = process.cpuUsage();
      const started = performance.now();
      const slice = await closedLoop(scenario.operation, {
        seconds: seconds / SLICES,
        concurrency: CONCURRENCY,
        users: USERS,
      });
      const client = process.cpuUsage(clientBefore);
      const sum = sums.get(scenario)!;
      sum.operations += slice.operations;
      sum.seconds += (performance.now() - started) / 1000;
      sum.serverCpuMs += scenario.server.cpuMs() - cpuBefore;
      sum.emulatorCpuMs += emulator.cpuMs() - emulatorBefore;
      sum.loadGeneratorCpuMs += (client.user + client.system) / 1000;
      sum.errors += slice.errors;
      if (slice.errors)
        errors.push(`${scenario.name}: ${slice.errors} failed in the ${what}, first: ${slice.firstError}`);
    }
  }
  return sums;
}

/** The latency at about half of `opsPerSecond`, after a turn of full load to bring the server back. */
async function halfLoad(scenario: Scenario, opsPerSecond: number, errors: string[]) {
  // The other scenarios' latency phases kept this one idle: its optimized code back first.
  await closedLoop(scenario.operation, {
    seconds: SECONDS / SLICES,
    concurrency: CONCURRENCY,
    users: USERS,
  });
  const half = await openLoop(scenario.operation, {
    seconds: SECONDS * 0.75,
    rate: Math.max(1, opsPerSecond / 2),
    users: USERS,
  });
  if (half.errors) errors.push(`${scenario.name}: ${half.errors} failed, first: ${half.firstError}`);
  return { ...half, rate: Math.round(half.rate) };
}

/**
 * One round of every scenario: their warm-up and then their throughput at fixed concurrency (with CPU
 * per op), each in turns (`inTurns`); then, one scenario after the other, a short warm-up and the latency
 * at half of its throughput.
 */
async function measureRound(
  scenarios: Scenario[],
  emulator: ServerProcess,
  errors: string[],
  round: number,
): Promise<Record<string, RoundFigures>> {
  await inTurns(scenarios, WARMUP_SECONDS, emulator, errors, "warm-up", round);
  const full = await inTurns(scenarios, SECONDS, emulator, errors, "throughput phase", round);
  const figures = new Map<Scenario, RoundFigures>();
  for (const scenario of round % 2 === 0 ? scenarios : [...scenarios].reverse()) {
    const sum = full.get(scenario)!;
    const opsPerSecond = Math.round(sum.operations / sum.seconds);
    const perOp = (ms: number) => Number((ms / Math.max(1, sum.operations)).toFixed(3));
    const cpuMsPerOp = perOp(sum.serverCpuMs);
    const half = scenario.throughputOnly ? undefined : await halfLoad(scenario, opsPerSecond, errors);
    say(
      `  ${scenario.name}: ${opsPerSecond} ops/s, ${cpuMsPerOp} ms CPU/op` +
        (half ? `; at ${half.rate}/s p50 ${half.p50Ms} ms, p99 ${half.p99Ms} ms` : ""),
    );
    figures.set(scenario, {
      opsPerSecond,
      cpuMsPerOp,
      emulatorCpuMsPerOp: perOp(sum.emulatorCpuMs),
      loadGeneratorCpuMsPerOp: perOp(sum.loadGeneratorCpuMs),
      halfLoad: half && { rate: half.rate, p50Ms: half.p50Ms, p99Ms: half.p99Ms },
      errors: sum.errors + (half?.errors ?? 0),
    });
  }
  // In the scenarios' own order, whatever order the latency phases ran in (the report follows it).
  return Object.fromEntries(scenarios.map((scenario) => [scenario.name, figures.get(scenario)!]));
}

/**
 * Every user's first mint (which creates their identity), then a short run to open the sockets and
 * start the JIT (each round's own warm-up, in turns, does the rest).
 */
async function warmUp(operation: Operation): Promise<void> {
  for (let first = 0; first < USERS; first += CONCURRENCY) {
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => operation(first + i)));
  }
  const warm = await closedLoop(operation, {
    seconds: 1,
    concurrency: CONCURRENCY,
    users: USERS,
  });
  if (warm.errors) throw new Error(`warm-up failed: ${warm.firstError}`);
}

async function benchDatabase(database: DatabaseKind, shared: Shared): Promise<DatabaseResults> {
  const stack = await prepareStack(database, shared);
  const firstMint = (url: string) => () => mintOverGraphql(url, shared.bearers[0]).then(() => true);
  try {
    say(`${database}: starting the service, the REST baselines and the router`);
    const firstRestMint = (url: string) => () => mintOverRest(url, shared.bearers[0]).then(() => true);
    // All at once (the router's probe goes through the service, so it waits for both): stopAll ends
    // the others if one fails.
    const [service, rest, restCore, reuse, router] = await Promise.all([
      startAndWait(stack.service, firstMint(stack.service.url)),
      startAndWait(stack.restBaseline, firstRestMint(stack.restBaseline.url)),
      startAndWait(stack.restCore, firstRestMint(stack.restCore.url)),
      startAndWait(stack.serviceWithReuse, firstMint(stack.serviceWithReuse.url)),
      startAndWait(stack.router, firstMint(stack.router.url)),
    ]);
    const scenarios = [
      graphqlMint(service, stack.service.url, shared.bearers),
      restMint(rest, stack.restBaseline.url, shared.bearers),
      shared.floor,
      graphqlMint(reuse, stack.serviceWithReuse.url, shared.bearers, "graphql-mint-reuse"),
      graphqlMint(router, stack.router.url, shared.bearers, "router-mint"),
      restMint(restCore, stack.restCore.url, shared.bearers, "rest-core"),
    ];
    await Promise.all(scenarios.map((scenario) => warmUp(scenario.operation)));

    const errors: string[] = [];
    const rounds: DatabaseResults["rounds"] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      say(`${database}: round ${round} of ${ROUNDS}`);
      rounds.push(await measureRound(scenarios, shared.emulator, errors, round));
    }
    const peakRssMiB = Object.fromEntries(scenarios.map((s) => [s.name, s.server.peakRssMiB()]));

    say(`${database}: federation batch`);
    const owners = Array.from({ length: 100 }, (_, i) => `bench-user-${i}`);
    const federation = await benchFederationBatch(stack.service.url, shared.routerBearer, owners, ROUNDS);
    await Promise.all([router.stop(), service.stop(), rest.stop(), reuse.stop(), restCore.stop()]);

    say(`${database}: cold start`);
    const coldStartMs = await benchColdStart(
      stack.service,
      () => mintOverGraphql(stack.service.url, shared.bearers[0]),
      ROUNDS,
    );
    say(
      `${database}: federation ${federation.map((f) => f.ratio).join(", ")}x; cold start ${coldStartMs.join(", ")} ms`,
    );
    return { database, rounds, peakRssMiB, coldStartMs, federation, errors };
  } finally {
    await stack.cleanup();
  }
}

async function main() {
  const started = Date.now();
  const load = [os.loadavg()[0]];
  const workDir = mkdtempSync(path.join(os.tmpdir(), "acs-bench-"));
  let jwks: Awaited<ReturnType<typeof serveJwks>> | undefined;
  try {
    const keyDir = path.join(workDir, "dev-key");
    const issuer = await loadOrCreateDevIssuer(keyDir);
    const bearers = await Promise.all(
      Array.from({ length: USERS }, (_, i) =>
        issuer.sign({ sub: `bench-user-${i}`, roles: ["user"], ttlSeconds: 3600 }),
      ),
    );
    const routerBearer = await issuer.sign({ sub: "bench-router", roles: ["service"], ttlSeconds: 3600 });
    // The router verifies the same bearer tokens against the issuer's public keys, served here.
    jwks = await serveJwks(issuer.publicJwks);

    const emulatorStarted = await startEmulatorProcess(
      path.join(workDir, "emulator"),
      path.join(workDir, "emulator.log"),
    );
    const emulator = emulatorStarted.server;
    const sdk = new CommunicationIdentityClient(emulatorStarted.connectionString, {
      allowInsecureConnection: true,
    });
    const identities = [];
    for (let i = 0; i < USERS; i += 1) identities.push(await sdk.createUser());
    const shared: Shared = {
      workDir,
      devKeyFile: path.join(keyDir, "dev-issuer.json"),
      bearers,
      routerBearer,
      emulator,
      acsConnectionString: emulatorStarted.connectionString,
      routerAuth: {
        jwksUrl: jwks.url,
        issuer: issuer.issuer,
        audience: issuer.audience,
        algorithm: issuer.algorithm,
      },
      floor: sdkFloor(emulator, sdk, identities),
    };

    const results: DatabaseResults[] = [];
    const skipped: Record<string, string> = {};
    for (const database of DATABASES) {
      const unavailable = database === "postgres" ? await postgresUnavailable() : undefined;
      if (unavailable) {
        skipped[database] = `PostgreSQL unreachable: ${unavailable}`;
        say(`postgres: SKIPPED (${skipped[database]})`);
        continue;
      }
      results.push(await benchDatabase(database, shared));
    }
    load.push(os.loadavg()[0]);

    const summaries = results.map(summarize);
    const meta = {
      rounds: ROUNDS,
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      slices: SLICES,
      concurrency: CONCURRENCY,
    };
    const machine = {
      cpus: os.cpus().length,
      node: process.version,
      loadAverage1m: { atStart: load[0], atEnd: load[1] },
      minutes: Number(((Date.now() - started) / 60_000).toFixed(1)),
    };
    const markdown = `${table(summaries, meta)}\n${Object.values(skipped).join("\n")}\nMachine: ${machine.cpus} CPUs, Node ${machine.node}, 1-minute load ${machine.loadAverage1m.atStart.toFixed(1)} at start and ${machine.loadAverage1m.atEnd.toFixed(1)} at end; ${machine.minutes} minutes.\n`;
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(
      path.join(RESULTS_DIR, "results.json"),
      `${JSON.stringify({ date: new Date().toISOString(), machine, ...meta, users: USERS, scenarios: SCENARIOS, skipped, summaries, raw: results }, null, 2)}\n`,
    );
    writeFileSync(path.join(RESULTS_DIR, "results.md"), markdown);
    process.stdout.write(markdown);
    const errors = results.flatMap((r) => r.errors);
    if (errors.length)
      throw new Error(`operations failed (their figures exclude them):\n${errors.join("\n")}`);
  } finally {
    await stopAll(); // the emulator, and any server a failure left running
    await jwks?.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
