// Readiness describes this replica: probes never call ACS, a throttled ACS (shared by every replica)
// does not take it out of rotation, its own database does, and draining does at once. Operators get
// the reasons in /readyz/detail and the logs. A database outage is SERVICE_UNAVAILABLE, not INTERNAL.
import net from "node:net";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { createLogger } from "../../src/server/logger";
import * as op from "../support/operations";
import { describeWithPostgres } from "../support/postgres";
import { startTestService, type TestService } from "../support/service";

async function eventually(attempt: () => Promise<boolean>, what: string, limitMs = 30_000) {
  const started = Date.now();
  while (!(await attempt())) {
    if (Date.now() - started > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("readiness and ACS", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({});
  });
  afterEach(() => service.emulator!.faults.clear());
  afterAll(() => service?.stop());

  test("300 unauthenticated probes make no ACS request", async () => {
    const before = service.emulator!.stats().requests;
    for (let batch = 0; batch < 30; batch++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => fetch(`${service.url}/readyz`)));
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    }
    expect(service.emulator!.stats().requests).toBe(before);
  });

  test("ACS throttling the whole resource keeps the replica ready; the detail and metrics report it", async () => {
    const alice = await service.as("ready-alice", ["user"]);
    await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] });
    service.emulator!.faults.set([{ kind: "throttle", retryAfterSeconds: 30 }]);
    expect((await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors[0].code).toBe("ACS_THROTTLED");

    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", rateLimiter: "ok" } });
    const detail = (await (await fetch(`${service.url}/readyz/detail`)).json()) as Record<string, any>;
    expect(detail).toMatchObject({
      status: "ready",
      acs: {
        circuit: "closed",
        lastFailure: { operation: "issueToken", code: "ACS_THROTTLED" },
        inFlight: 0,
        waiting: 0,
      },
    });
    expect(Object.keys(detail.acs.pausedUntil)).toEqual(["issueToken"]);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/^acs_calls_total\{operation="issueToken",outcome="ACS_THROTTLED"\} 1$/m);
    expect(metrics).toMatch(/^acs_calls_total\{operation="issueToken",outcome="ok"\} [1-9]/m);
    expect(metrics).toMatch(/^acs_call_duration_seconds_count\{operation="issueToken",outcome="ok"\} [1-9]/m);
  });
});

describe("draining", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ DRAIN_GRACE_MS: "1500", DRAIN_LIMIT_MS: "5000" });
  });
  afterAll(() => service?.stop());

  test("readiness fails at once, requests in the grace are served with connection: close", async () => {
    const alice = await service.as("drain-alice", ["user"]);
    await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] });
    const drained = service.drain();
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "draining" });
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await service.tokenFor("drain-alice", ["user"])}`,
      },
      body: JSON.stringify({ query: op.MY_IDENTITY }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("connection")).toBe("close");
    expect(await drained).toEqual({ cutOff: 0 });
    // After the grace the listener is closed: nothing new is started.
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
  });
});

describe("a second signal", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ DRAIN_GRACE_MS: "300000" });
  });
  afterAll(() => service?.stop());

  test("ends the grace at once", async () => {
    const drained = service.drain();
    expect((await fetch(`${service.url}/readyz`)).status).toBe(503);
    service.skipGrace(); // otherwise 5 minutes, far beyond this test's time limit
    expect(await drained).toEqual({ cutOff: 0 });
  });
});

describe("the ops port (OPS_PORT)", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ OPS_PORT: "0" });
  });
  afterAll(() => service?.stop());

  test("serves the metrics and the detail, which the public port no longer does", async () => {
    expect(service.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(service.opsUrl).not.toBe(service.url);
    const metrics = await fetch(`${service.opsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^acs_circuit_state 0$/m);
    expect((await fetch(`${service.opsUrl}/readyz/detail`)).status).toBe(200);
    expect((await fetch(`${service.opsUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${service.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${service.url}/readyz/detail`)).status).toBe(404);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  });
});

/** A TCP proxy to PostgreSQL that can be taken down (every connection cut, new ones refused) and up. */
async function tcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve, reject) => {
      if (server?.listening) return resolve();
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        sockets.add(client).add(upstream);
        const cut = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        for (const socket of [client, upstream]) socket.on("error", cut).on("close", cut);
        client.pipe(upstream).pipe(client);
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      server?.close(() => resolve());
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    });
  await up();
  return { port: () => port, up, down };
}

describeWithPostgres("a database outage", (database) => {
  let service: TestService;
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  const lines: string[] = [];
  beforeAll(async () => {
    const url = new URL(database().url);
    proxy = await tcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port());
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    service = await startTestService(
      {},
      {
        database: { kind: "postgres", url: url.toString(), poolSize: 2 },
        logger: createLogger("info", sink),
      },
    );
  });
  afterAll(async () => {
    await proxy?.up(); // so the service can dump its database and close its pool
    await service?.stop();
    await proxy?.down();
  });

  test("takes the replica out of rotation, says why to operators, logs it, and callers get SERVICE_UNAVAILABLE", async () => {
    const alice = await service.as("outage-alice", ["user"]);
    expect((await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors).toEqual([]);
    await proxy.down();

    const minted = await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] });
    expect(minted.errors.map((e) => e.code)).toEqual(["SERVICE_UNAVAILABLE"]);
    expect(minted.errors[0].extensions.retryAfterSeconds).toBe(5);
    expect(minted.errors[0].message).not.toMatch(/127\.0\.0\.1|ECONN|postgres/i);

    await eventually(async () => (await fetch(`${service.url}/readyz`)).status === 503, "not ready");
    const ready = (await (await fetch(`${service.url}/readyz`)).json()) as Record<string, any>;
    expect(ready).toEqual({ status: "not ready", checks: { database: "failing", rateLimiter: "ok" } });
    const detail = (await (await fetch(`${service.url}/readyz/detail`)).json()) as Record<string, any>;
    expect(detail.checks.database).toMatchObject({ ok: false, gating: true });
    expect(typeof detail.checks.database.reason).toBe("string");
    const logged = lines.map((line) => JSON.parse(line)).filter((l) => l.msg === "readiness check failed");
    expect(logged.length).toBeGreaterThan(0);
    expect(logged[0]).toMatchObject({ check: "database", gating: true });

    await proxy.up();
    await eventually(async () => (await fetch(`${service.url}/readyz`)).status === 200, "ready again");
    expect((await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors).toEqual([]);
  });
});
