// The load generator: a small keep-alive HTTP client and the two ways of driving an operation, a closed
// loop at fixed concurrency (throughput) and an open loop at a fixed rate (latency under load).
import http from "node:http";

/** One keep-alive agent for all the benchmark's HTTP calls, as a real client (or router) would hold. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/**
 * POSTs JSON and resolves with the status and parsed body; never throws on an HTTP error status. A
 * request sent on a kept-alive socket just as the server closed it for being idle (its keep-alive
 * timeout, 5 s) never reached the server: that one is sent again on a fresh socket, as Node's
 * documentation advises (`request.reusedSocket`). With the scenarios measured in turns, a server's
 * sockets sit idle for several seconds between its turns.
 */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const payload = Buffer.from(JSON.stringify(body));
  const send = (retried: boolean): Promise<{ status: number; body: unknown }> =>
    new Promise((resolve, reject) => {
      const request = http.request(
        url,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": payload.length, ...headers },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            try {
              resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) });
            } catch {
              resolve({ status: response.statusCode ?? 0, body: text });
            }
          });
          response.on("error", reject);
        },
      );
      request.on("error", (error: NodeJS.ErrnoException) => {
        if (!retried && request.reusedSocket && error.code === "ECONNRESET") resolve(send(true));
        else reject(error);
      });
      request.end(payload);
    });
  return send(false);
}

/** An ACS access token is a JWT: three base64url parts. Anything else is a failed operation. */
export function assertToken(token: unknown, what: string): void {
  if (typeof token !== "string" || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) {
    throw new Error(`${what}: the response carries no token`);
  }
}

/** An operation of the benchmark for virtual user number `user` (0..); it throws unless it got a token. */
export type Operation = (user: number) => Promise<void>;

export interface Outcome {
  operations: number;
  errors: number;
  firstError?: string;
}

const percentile = (sorted: number[], q: number) =>
  sorted.length ? Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2)) : NaN;

/**
 * `concurrency` callers, each sending its next request when its last one is answered, for `seconds`.
 * Caller c acts for users c, c + concurrency, c + 2 * concurrency, ... (modulo `users`) in turn.
 */
export async function closedLoop(
  operation: Operation,
  { seconds, concurrency, users }: { seconds: number; concurrency: number; users: number },
): Promise<Outcome & { opsPerSecond: number }> {
  const outcome: Outcome = { operations: 0, errors: 0 };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, caller) => {
      for (let turn = 0; performance.now() < deadline; turn += 1) {
        try {
          await operation((caller + turn * concurrency) % users);
          outcome.operations += 1;
        } catch (error) {
          outcome.errors += 1;
          outcome.firstError ??= (error as Error).message;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { ...outcome, opsPerSecond: Math.round(outcome.operations / elapsed) };
}

/**
 * Requests started on a fixed schedule (`rate` per second) whether or not earlier ones were answered,
 * spread over `users` virtual users in turn. Latency counts from the scheduled start, so a stalled server
 * shows in the percentiles instead of silently slowing the schedule down (coordinated omission).
 */
export async function openLoop(
  operation: Operation,
  { seconds, rate, users }: { seconds: number; rate: number; users: number },
): Promise<Outcome & { rate: number; p50Ms: number; p99Ms: number }> {
  const outcome: Outcome = { operations: 0, errors: 0 };
  const latencies: number[] = [];
  const total = Math.max(1, Math.round(seconds * rate));
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const scheduled = started + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      operation(i % users).then(
        () => {
          outcome.operations += 1;
          latencies.push(performance.now() - scheduled);
        },
        (error: Error) => {
          outcome.errors += 1;
          outcome.firstError ??= error.message;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  return { ...outcome, rate, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}
