// A TCP proxy between the service and ACS that loses answers: for a chosen share of requests it
// forwards the request, lets ACS do the work, and then cuts the client's socket as the response
// arrives, so the client sees a connection reset for work that was done. (HTTP/1.1 clients send one
// request at a time per connection, so the answer that follows a request is that request's.)
import net from "node:net";
import type { AddressInfo } from "node:net";

export interface LossyProxy {
  /** http://127.0.0.1:<port>/ */
  endpoint: string;
  /** Requests whose answer was cut. */
  readonly dropped: number;
  /** Change the share of requests whose answer is lost (0..1). */
  setLossRatio(ratio: number): void;
  close(): Promise<void>;
}

/** A small deterministic generator, so a run loses the same connections each time. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startLossyProxy(
  upstreamPort: number,
  options: { lossRatio: number; seed?: number },
): Promise<LossyProxy> {
  let ratio = options.lossRatio;
  let dropped = 0;
  const random = seeded(options.seed ?? 42);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    let lose = false;
    client.on("data", (chunk: Buffer) => {
      // A new request starts with its method; its body may follow in later chunks.
      if (/^[A-Z]+ \//.test(chunk.subarray(0, 16).toString("latin1"))) lose = random() < ratio;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (lose) {
        // ACS has answered, so it has done the work; the client never hears of it.
        dropped += 1;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/`,
    get dropped() {
      return dropped;
    },
    setLossRatio(value) {
      ratio = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
