// `npm run bench`: every benchmark, each reported as a ratio against a baseline from the same run.
import { benchEmulatorIssueThroughput } from "./emulator-issue-throughput";
import { benchEntitiesFlood } from "./entities-flood";
import { benchGraphqlMintThroughput } from "./graphql-mint-throughput";

const BENCHES = [benchEmulatorIssueThroughput, benchGraphqlMintThroughput, benchEntitiesFlood];

async function main() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const results = [];
  for (const bench of BENCHES) {
    const result = await bench({ seconds, concurrency: 16 });
    results.push(result);
    // Benches report their own numbers at the top level, or under the name of what they measure.
    const measured = "opsPerSecond" in result ? result : result.graphql;
    process.stderr.write(
      `${result.name}: ${measured.opsPerSecond} ops/s (p50 ${measured.p50Ms} ms, p99 ${measured.p99Ms} ms); ` +
        `baseline (${result.baseline.what}): ${result.baseline.opsPerSecond} ops/s; ratio ${result.ratioToBaseline}\n`,
    );
  }
  process.stdout.write(
    `${JSON.stringify({ machine: { cpus: (await import("node:os")).cpus().length, node: process.version }, results }, null, 2)}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
