// The backend floor: how fast the emulator issues tokens with the real SDK as client, against a
// baseline measured in the same run: a no-op node:http round trip through the same SDK pipeline
// (HMAC signing, retries, deserialization) at the same concurrency.
import { CommunicationIdentityClient } from "@azure/communication-identity";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startEmulator } from "../src/emulator";
import { measure } from "./measure";

export interface EmulatorIssueThroughput {
  name: string;
  concurrency: number;
  seconds: number;
  operations: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  baseline: { what: string; operations: number; opsPerSecond: number; p50Ms: number; p99Ms: number };
  /** Emulator ops/s divided by baseline ops/s: the share of the SDK's own ceiling the emulator reaches. */
  ratioToBaseline: number;
}

export async function benchEmulatorIssueThroughput({
  seconds = 5,
  concurrency = 16,
}: { seconds?: number; concurrency?: number } = {}): Promise<EmulatorIssueThroughput> {
  // Baseline: an HTTP server that answers every request like a successful issue, instantly.
  const noop = http.createServer((_req, res) => {
    _req.resume();
    _req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end('{"token":"a.b.c","expiresOn":"2030-01-01T00:00:00.0000000+00:00"}');
    });
  });
  await new Promise<void>((resolve) => noop.listen(0, "127.0.0.1", resolve));
  const noopPort = (noop.address() as AddressInfo).port;
  const emulator = await startEmulator();
  try {
    const options = { allowInsecureConnection: true };
    const baselineClient = new CommunicationIdentityClient(
      `endpoint=http://127.0.0.1:${noopPort}/;accesskey=${emulator.accessKey}`,
      options,
    );
    const client = new CommunicationIdentityClient(emulator.connectionString, options);
    const user = await client.createUser();
    // Warm both paths up (JIT, keep-alive sockets) before measuring either.
    await measure(() => baselineClient.getToken(user, ["chat", "voip"]), { seconds: 0.5, concurrency });
    await measure(() => client.getToken(user, ["chat", "voip"]), { seconds: 1, concurrency });
    const baseline = await measure(() => baselineClient.getToken(user, ["chat", "voip"]), {
      seconds,
      concurrency,
    });
    const emulated = await measure(() => client.getToken(user, ["chat", "voip"]), { seconds, concurrency });
    return {
      name: "emulator issue-token throughput (SDK client)",
      concurrency,
      seconds,
      ...emulated,
      baseline: { what: "SDK against a no-op HTTP server", ...baseline },
      ratioToBaseline: Number((emulated.opsPerSecond / baseline.opsPerSecond).toFixed(3)),
    };
  } finally {
    await emulator.close();
    await new Promise((resolve) => noop.close(resolve));
  }
}
