// Fault injection, switchable at run time, observed through the real SDK and its retry policy.
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { clearEmulatorFaults, setEmulatorFaults } from "../../src/emulator/admin-client";
import { sdkClient, sdkError } from "../support/emulator";

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterEach(() => emulator.faults.clear());
afterAll(() => emulator?.close());

const attempts = async (run: () => Promise<unknown>) => {
  const before = emulator.stats().requests;
  const started = Date.now();
  await run();
  return { attempts: emulator.stats().requests - before, ms: Date.now() - started };
};

test("a 429 with Retry-After: 1 is waited out by the SDK, which then succeeds", async () => {
  const client = sdkClient(emulator.connectionString);
  await setEmulatorFaults(emulator.endpoint, emulator.accessKey, [
    { kind: "throttle", retryAfterSeconds: 1, count: 1 },
  ]);
  const result = await attempts(() => client.createUser());
  expect(result.attempts).toBe(2);
  expect(result.ms).toBeGreaterThanOrEqual(950);
});

test("429 on every attempt: the SDK gives up after its retries with TooManyRequests", async () => {
  const client = sdkClient(emulator.connectionString, { maxRetries: 1 });
  emulator.faults.set([{ kind: "throttle", retryAfterSeconds: 0, ratio: 1 }]);
  expect(await sdkError(client.createUser())).toMatchObject({ statusCode: 429, code: "TooManyRequests" });
});

test("503 for the next 2 requests is retried through", async () => {
  const client = sdkClient(emulator.connectionString);
  emulator.faults.set([{ kind: "unavailable", count: 2 }]);
  const result = await attempts(() => client.createUser());
  expect(result.attempts).toBe(3);
  expect(emulator.faults.list()).toEqual([]); // spent
});

test("a dropped connection is retried by the SDK", async () => {
  const client = sdkClient(emulator.connectionString);
  emulator.faults.set([{ kind: "drop", count: 1 }]);
  expect((await attempts(() => client.createUser())).attempts).toBe(2);
});

test("added latency delays the answer", async () => {
  const client = sdkClient(emulator.connectionString);
  emulator.faults.set([{ kind: "latency", latencyMs: 300, count: 1 }]);
  expect((await attempts(() => client.createUser())).ms).toBeGreaterThanOrEqual(290);
});

test("a ratio hits about that share of requests, and rules can match by method", async () => {
  const client = sdkClient(emulator.connectionString, { maxRetries: 0 });
  emulator.faults.set([{ kind: "unavailable", ratio: 0.5, method: "POST" }]);
  const outcomes = await Promise.all(
    Array.from({ length: 200 }, () =>
      client.createUser().then(
        () => "ok",
        () => "failed",
      ),
    ),
  );
  const failed = outcomes.filter((o) => o === "failed").length;
  expect(failed).toBeGreaterThan(60);
  expect(failed).toBeLessThan(140);
  emulator.faults.clear();
  const user = await client.createUser();
  emulator.faults.set([{ kind: "unavailable", ratio: 1, method: "DELETE" }]);
  await client.revokeTokens(user); // POST: unaffected
  expect(await sdkError(client.deleteUser(user))).toMatchObject({ statusCode: 503 });
});

test("faults are set and cleared over HTTP only with the access key, and bad rules are refused", async () => {
  await expect(setEmulatorFaults(emulator.endpoint, "nope", [{ kind: "drop" }])).rejects.toThrow(/401/);
  await expect(
    setEmulatorFaults(emulator.endpoint, emulator.accessKey, [{ kind: "meltdown" } as never]),
  ).rejects.toThrow(/400/);
  await setEmulatorFaults(emulator.endpoint, emulator.accessKey, [{ kind: "drop", ratio: 1 }]);
  expect(emulator.faults.list()).toHaveLength(1);
  await clearEmulatorFaults(emulator.endpoint, emulator.accessKey);
  expect(emulator.faults.list()).toEqual([]);
});
