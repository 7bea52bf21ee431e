// A signed-in user's latency while anonymous clients flood `_entities` with 2,500 representations
// each, against the same user's latency with the service idle, in the same run. Before `_entities`
// was checked as a whole, four such clients raised the user's median from ~10 ms to ~8 s. The same
// number of clients flooding an ordinary query is measured too: any flood costs something. The
// flooding clients run in a worker thread, so their own work is not charged to the server's loop.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import "reflect-metadata";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/server/logger";
import { startService } from "../src/server/start-service";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { measure } from "./measure";

const FLOODERS = 4;
const REPRESENTATIONS = 2_500;

export async function benchEntitiesFlood({ seconds = 5, production = false } = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "bench-"));
  const config = loadConfig({ DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent" });
  config.database = { kind: "embedded", dir: "memory://" };
  // Production mode's Apollo defaults (no stack traces, no landing page) with development tokens kept.
  if (production) config.nodeEnv = "production";
  // Logs are on (info, to nowhere): writing them is part of what a flood costs.
  const service = await startService(config, {
    logger: createLogger("info", { write: () => true }),
  });
  try {
    const bearer = await service.devIssuer!.sign({ sub: "bench-user", roles: ["user"], ttlSeconds: 3600 });
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(service.graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      }).then((response) => response.text());
    const ownQuery = JSON.stringify({
      query: "{ viewer { subject permissions } myCommunicationIdentity { id } }",
    });
    const user = () => post(ownQuery, { authorization: `Bearer ${bearer}` });
    const entities = (n: number) =>
      JSON.stringify({
        query:
          "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { communicationIdentity { id } } } }",
        variables: { r: Array.from({ length: n }, (_, i) => ({ __typename: "User", id: `u${i}` })) },
      });
    const flood = entities(REPRESENTATIONS);

    await measure(user, { seconds: 1, concurrency: 1 }); // warm up
    const idle = await measure(user, { seconds, concurrency: 1 });
    const anonymousFlood = await underFlood(service.graphqlUrl, flood, user, seconds);
    const ordinaryFlood = await underFlood(service.graphqlUrl, ownQuery, user, seconds);
    // The same flood with one representation: what is left of the big flood's cost is its body size.
    const smallFlood = await underFlood(service.graphqlUrl, entities(1), user, seconds);
    return {
      name: `signed-in p50 latency under an anonymous _entities flood (${FLOODERS} clients x ${REPRESENTATIONS} representations${production ? ", production mode" : ""})`,
      graphql: anonymousFlood.user,
      floodRequestsPerSecond: anonymousFlood.floodRequestsPerSecond,
      baseline: { what: "the same user, service idle", ...idle },
      // Latency, not throughput: how many times slower the user's median got. Within 3 is the goal.
      ratioToBaseline: Number((anonymousFlood.user.p50Ms / idle.p50Ms).toFixed(2)),
      ordinaryFlood: {
        what: `the same user while ${FLOODERS} anonymous clients loop on an ordinary query`,
        ...ordinaryFlood.user,
        floodRequestsPerSecond: ordinaryFlood.floodRequestsPerSecond,
        ratioToBaseline: Number((ordinaryFlood.user.p50Ms / idle.p50Ms).toFixed(2)),
      },
      oneRepresentationFlood: {
        what: `the same user while ${FLOODERS} anonymous clients loop on _entities with 1 representation`,
        ...smallFlood.user,
        floodRequestsPerSecond: smallFlood.floodRequestsPerSecond,
        ratioToBaseline: Number((smallFlood.user.p50Ms / idle.p50Ms).toFixed(2)),
      },
    };
  } finally {
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The user's latency while FLOODERS clients in a worker thread loop on `body`. */
async function underFlood(url: string, body: string, user: () => Promise<unknown>, seconds: number) {
  const worker = new Worker(__filename, { workerData: { url, body, clients: FLOODERS } });
  await new Promise((resolve) => worker.once("message", resolve)); // flooding
  const measured = await measure(user, { seconds, concurrency: 1 });
  worker.postMessage("stop");
  const floodRequests = await new Promise<number>((resolve) => worker.once("message", resolve));
  await worker.terminate();
  return { user: measured, floodRequestsPerSecond: Math.round(floodRequests / seconds) };
}

if (!isMainThread) {
  const { url, body, clients } = workerData as { url: string; body: string; clients: number };
  let flooding = true;
  let requests = 0;
  parentPort!.once("message", () => (flooding = false));
  const loops = Array.from({ length: clients }, async () => {
    while (flooding) {
      await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body }).then((r) =>
        r.text(),
      );
      requests++;
    }
  });
  parentPort!.postMessage("flooding");
  void Promise.all(loops).then(() => parentPort!.postMessage(requests));
} else if (require.main === module) {
  (async () => {
    const seconds = Number(process.env.BENCH_SECONDS ?? 5);
    for (const production of [false, true]) {
      process.stdout.write(`${JSON.stringify(await benchEntitiesFlood({ seconds, production }), null, 2)}\n`);
    }
  })().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
