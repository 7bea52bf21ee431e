// From the rounds' raw figures to what is reported: min / median / max of every figure and ratio, the
// targets with pass or fail (judged on the median), and a short Markdown table. docs/benchmarks.md
// explains how to read them.
import type { DatabaseKind } from "./stack";

/** One scenario's figures in one round. */
export interface RoundFigures {
  opsPerSecond: number;
  /** CPU time of the scenario's own server process per operation, at full throughput. */
  cpuMsPerOp: number;
  /** CPU time of the emulator per operation (the backend's share, included in the floor's own). */
  emulatorCpuMsPerOp: number;
  /** CPU time of the load generator per operation: for sdk-floor, what the SDK client itself costs. */
  loadGeneratorCpuMsPerOp: number;
  /** Open loop at about half of this round's throughput (none for a throughput-only scenario). */
  halfLoad?: { rate: number; p50Ms: number; p99Ms: number };
  errors: number;
}

export interface DatabaseResults {
  database: DatabaseKind;
  /** rounds[i][scenario] */
  rounds: Array<Record<string, RoundFigures>>;
  peakRssMiB: Record<string, number>;
  coldStartMs: number[];
  federation: Array<{ batchMs: number; oneByOneMs: number; ratio: number }>;
  errors: string[];
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const round = (v: number) => Number(v.toFixed(3));
  return { min: round(sorted[0]), median: round(median), max: round(sorted[sorted.length - 1]) };
}

/** Every figure of every scenario, and the ratios between scenarios, each taken round by round. */
export function summarize(results: DatabaseResults) {
  const per = (scenario: string, pick: (f: RoundFigures) => number) =>
    spread(results.rounds.map((round) => pick(round[scenario])));
  const ratio = (pick: (f: RoundFigures) => number, a: string, b: string) =>
    spread(results.rounds.map((round) => pick(round[a]) / pick(round[b])));
  const scenarios = Object.keys(results.rounds[0]);
  return {
    database: results.database,
    scenarios: Object.fromEntries(
      scenarios.map((name) => [
        name,
        {
          opsPerSecond: per(name, (f) => f.opsPerSecond),
          cpuMsPerOp: per(name, (f) => f.cpuMsPerOp),
          emulatorCpuMsPerOp: per(name, (f) => f.emulatorCpuMsPerOp),
          loadGeneratorCpuMsPerOp: per(name, (f) => f.loadGeneratorCpuMsPerOp),
          halfLoadP50Ms: results.rounds[0][name].halfLoad && per(name, (f) => f.halfLoad!.p50Ms),
          halfLoadP99Ms: results.rounds[0][name].halfLoad && per(name, (f) => f.halfLoad!.p99Ms),
          peakRssMiB: results.peakRssMiB[name],
        },
      ]),
    ),
    ratios: {
      mintToFloorThroughput: ratio((f) => f.opsPerSecond, "graphql-mint", "sdk-floor"),
      mintToRestThroughput: ratio((f) => f.opsPerSecond, "graphql-mint", "rest-baseline"),
      mintToRestCpuPerOp: ratio((f) => f.cpuMsPerOp, "graphql-mint", "rest-baseline"),
      reuseToMintThroughput: ratio((f) => f.opsPerSecond, "graphql-mint-reuse", "graphql-mint"),
      routerToMintThroughput: ratio((f) => f.opsPerSecond, "router-mint", "graphql-mint"),
      mintToCoreThroughput: ratio((f) => f.opsPerSecond, "graphql-mint", "rest-core"),
      mintToCoreCpuPerOp: ratio((f) => f.cpuMsPerOp, "graphql-mint", "rest-core"),
      coreToRestCpuPerOp: ratio((f) => f.cpuMsPerOp, "rest-core", "rest-baseline"),
      mintMinusRestP99Ms: spread(
        results.rounds.map((r) => r["graphql-mint"].halfLoad!.p99Ms - r["rest-baseline"].halfLoad!.p99Ms),
      ),
    },
    coldStartMs: spread(results.coldStartMs),
    federationBatchSpeedup: spread(results.federation.map((f) => f.ratio)),
  };
}

export type Summary = ReturnType<typeof summarize>;

interface Target {
  what: string;
  measured: Spread;
  unit: string;
  pass: (median: number) => boolean;
  goal: string;
}

/** The targets the service is measured against (issue 12), for one database. */
export function targets(summary: Summary): Target[] {
  const pg = summary.database === "postgres";
  const mint = summary.scenarios["graphql-mint"];
  return [
    {
      what: "server CPU per mint",
      measured: mint.cpuMsPerOp,
      unit: "ms",
      goal: pg ? "≤ 1.5 ms" : "≤ 2.0 ms",
      pass: (m) => m <= (pg ? 1.5 : 2.0),
    },
    {
      what: "mint throughput / SDK floor",
      measured: summary.ratios.mintToFloorThroughput,
      unit: "",
      goal: pg ? "≥ 0.30" : "≥ 0.25",
      pass: (m) => m >= (pg ? 0.3 : 0.25),
    },
    {
      what: "mint throughput / REST baseline",
      measured: summary.ratios.mintToRestThroughput,
      unit: "",
      goal: "≥ 0.85",
      pass: (m) => m >= 0.85,
    },
    {
      what: "mint CPU per op / REST baseline",
      measured: summary.ratios.mintToRestCpuPerOp,
      unit: "",
      goal: "≤ 1.2",
      pass: (m) => m <= 1.2,
    },
    {
      what: "mint p99 − REST p99 at half load",
      measured: summary.ratios.mintMinusRestP99Ms,
      unit: "ms",
      goal: "≤ 2 ms",
      pass: (m) => m <= 2,
    },
    {
      what: "100 entity refs: one by one / one query",
      measured: summary.federationBatchSpeedup,
      unit: "x",
      goal: "≥ 5x",
      pass: (m) => m >= 5,
    },
    {
      what: pg ? "cold start (existing schema)" : "cold start (existing data folder)",
      measured: summary.coldStartMs,
      unit: "ms",
      goal: pg ? "< 2000 ms" : "< 3000 ms",
      pass: (m) => m < (pg ? 2000 : 3000),
    },
  ];
}

const show = (spread: Spread | undefined, unit = "") =>
  spread ? `${spread.median}${unit} (${spread.min}–${spread.max})` : "—";

/** The short table: per database, each scenario's figures, then each target with pass or fail. */
export function table(
  summaries: Summary[],
  meta: { rounds: number; seconds: number; warmupSeconds: number; slices: number; concurrency: number },
): string {
  const lines = [
    `Median of ${meta.rounds} rounds (min–max); ${meta.concurrency} callers. In each round, every scenario's ${meta.seconds} s throughput phase, and the ${meta.warmupSeconds} s of the same load unmeasured before it, are taken in ${meta.slices} turns of the scenarios (A B C, C B A, ...); then each one's latency at half load.`,
    "",
  ];
  for (const summary of summaries) {
    lines.push(
      `### ${summary.database === "postgres" ? "PostgreSQL" : "Embedded database (PGlite)"}`,
      "",
      "| scenario | ops/s at 16 callers | server CPU ms/op | emulator CPU ms/op | p50 ms at half load | p99 ms at half load | peak RSS MiB |",
      "| --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const [name, s] of Object.entries(summary.scenarios)) {
      lines.push(
        `| ${name} | ${show(s.opsPerSecond)} | ${show(s.cpuMsPerOp)} | ${show(s.emulatorCpuMsPerOp)} | ${show(s.halfLoadP50Ms)} | ${show(s.halfLoadP99Ms)} | ${s.peakRssMiB} |`,
      );
    }
    lines.push(
      "",
      `Token reuse on / off, mint throughput: ${show(summary.ratios.reuseToMintThroughput)} (no goal: it shows what reuse saves the service, beyond the ACS calls).`,
      "",
      `Through the router / direct, mint throughput: ${show(summary.ratios.routerToMintThroughput)} (no goal: it shows what the router hop costs; router-mint's server CPU and RSS are the router process's own, the service's share is graphql-mint's).`,
      "",
      `GraphQL / the same core over REST (rest-core), mint CPU per op: ${show(summary.ratios.mintToCoreCpuPerOp)}, throughput: ${show(summary.ratios.mintToCoreThroughput)}; the core over REST / the REST baseline, CPU per op: ${show(summary.ratios.coreToRestCpuPerOp)} (no goal: the first is what the GraphQL layer costs, the second what the service's policy, rate limits, ACS resilience, audit trail, log line and metrics cost).`,
    );
    lines.push("", "| target | measured | goal | |", "| --- | --- | --- | --- |");
    for (const target of targets(summary)) {
      const { min, median, max } = target.measured;
      const unit = target.unit === "x" ? "x" : target.unit ? ` ${target.unit}` : "";
      const verdict = target.pass(median) ? "pass" : "**fail**";
      // A spread that crosses the goal means the verdict is within this run's noise.
      const noisy = target.pass(min) !== target.pass(max) ? " (within the noise)" : "";
      lines.push(`| ${target.what} | ${show(target.measured, unit)} | ${target.goal} | ${verdict}${noisy} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}
