// Redis for tests: with CI=true an unreachable Redis fails the suite; elsewhere the tests that need it
// are skipped, visibly: jest counts them as skipped and a "SKIPPED (no Redis ...)" line names them
// (repeated after the run's summary by skip-reporter.js).
//
//   describeWithRedis("my feature", (url) => {               // jest reports these as skipped
//     test("...", async () => { new Redis(url()) });          // when Redis is unreachable
//   });
import { spawnSync } from "node:child_process";

export const REDIS_TEST_URL = process.env.REDIS_URL_TEST ?? "redis://127.0.0.1:6379/15";

const inCi = () => process.env.CI === "true";

/** The URL without its password, for messages. */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparsable REDIS_URL_TEST)";
  }
}

let probed: { reachable: boolean; reason: string } | undefined;

/**
 * Whether Redis answers PING, checked once per test file, synchronously (in a child process) so that
 * it can decide between `describe` and `describe.skip`. Throws when unreachable and CI=true.
 */
export function redisReachable(): boolean {
  if (!probed) {
    const script = `
      const { Redis } = require(${JSON.stringify(require.resolve("ioredis"))});
      const client = new Redis(process.argv[1], { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000 });
      client.on("error", () => undefined);
      client.connect().then(() => client.ping()).then(
        () => { client.disconnect(); process.exit(0); },
        (error) => { process.stderr.write(String((error && error.message) || error)); process.exit(1); });`;
    const result = spawnSync(process.execPath, ["-e", script, REDIS_TEST_URL], {
      encoding: "utf8",
      timeout: 10_000,
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    probed =
      result.status === 0
        ? { reachable: true, reason: "" }
        : { reachable: false, reason: result.stderr.trim() || result.error?.message || "no answer" };
  }
  if (!probed.reachable && inCi())
    throw new Error(`Redis is required in CI but ${shown(REDIS_TEST_URL)} is unreachable: ${probed.reason}`);
  return probed.reachable;
}

export function logRedisSkipped(what: string): void {
  console.warn(`SKIPPED (no Redis at ${shown(REDIS_TEST_URL)}: ${probed?.reason ?? "unreachable"}): ${what}`);
}

/**
 * A `describe` that needs Redis. When Redis is unreachable: outside CI the block is `describe.skip`
 * (jest counts its tests as skipped) and a message says so; with CI=true defining the block throws,
 * failing the file. Share the database with other runs: use a key prefix of your own and delete
 * only your keys.
 */
export function describeWithRedis(title: string, body: (url: () => string) => void): void {
  if (!redisReachable()) {
    logRedisSkipped(title);
    describe.skip(title, () => body(() => undefined as never));
    return;
  }
  describe(title, () => body(() => REDIS_TEST_URL));
}
