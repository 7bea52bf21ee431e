// Redis for tests: with CI=true an unreachable Redis fails the suite; elsewhere the test says it skipped.
import { Redis } from "ioredis";
import { spawnSync } from "node:child_process";

const DEFAULT_URL = process.env.REDIS_URL_TEST ?? "redis://127.0.0.1:6379/15";

export function redisForTests() {
  let reachable: boolean | undefined;
  return {
    /** The URL to use, or undefined when Redis is unreachable outside CI. */
    async url(): Promise<string | undefined> {
      if (reachable === undefined) {
        const client = new Redis(DEFAULT_URL, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          connectTimeout: 1000,
        });
        client.on("error", () => undefined);
        try {
          await client.connect();
          await client.ping();
          reachable = true;
        } catch {
          reachable = false;
        } finally {
          client.disconnect();
        }
      }
      if (!reachable && process.env.CI === "true")
        throw new Error(`Redis is required in CI but ${DEFAULT_URL} is unreachable`);
      return reachable ? DEFAULT_URL : undefined;
    },
    skipped(what: string) {
      console.warn(`SKIPPED (no Redis at ${DEFAULT_URL}): ${what}`);
    },
  };
}

let probedRedis: boolean | undefined;

/**
 * Whether the test Redis answers, checked once per test file and synchronously (in a child process), so
 * a file can choose between `describe` and `describe.skip`. Throws when unreachable and CI=true.
 */
export function redisReachable(): boolean {
  if (probedRedis === undefined) {
    const script = `
      const { Redis } = require(${JSON.stringify(require.resolve("ioredis"))});
      const client = new Redis(process.argv[1], { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 });
      client.on("error", () => undefined);
      client.connect().then(() => client.ping()).then(() => process.exit(0), () => process.exit(1));`;
    const result = spawnSync(process.execPath, ["-e", script, DEFAULT_URL], {
      timeout: 10_000,
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    probedRedis = result.status === 0;
  }
  if (!probedRedis && process.env.CI === "true")
    throw new Error(`Redis is required in CI but ${DEFAULT_URL} is unreachable`);
  return probedRedis;
}

/** `describe` when Redis answers; otherwise `describe.skip`, saying so (and failing when CI=true). */
export function describeWithRedis(title: string, body: (url: string) => void): void {
  if (!redisReachable()) {
    console.warn(`SKIPPED (no Redis at ${DEFAULT_URL}): ${title}`);
    describe.skip(title, () => body(DEFAULT_URL));
    return;
  }
  describe(title, () => body(DEFAULT_URL));
}
