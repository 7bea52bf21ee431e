// Redis for tests: with CI=true an unreachable Redis fails the suite; elsewhere the test says it skipped.
import { Redis } from "ioredis";

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
