// Concurrent first mints of one user yield exactly one ACS identity and one mapping: on one process
// (embedded database) and on two replicas sharing PostgreSQL.
import { describeWithPostgres } from "../support/postgres";
import { startTestService, type TestService } from "../support/service";
import * as op from "../support/operations";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

async function parallelFirstMints(replicas: TestService[], subject: string, total: number) {
  const clients = await Promise.all(replicas.map((replica) => replica.as(subject, ["user"])));
  return Promise.all(
    Array.from({ length: total }, (_, i) =>
      clients[i % clients.length].request(op.ISSUE_MY, { scopes: ["CHAT"] }),
    ),
  );
}

async function identitiesOf(service: TestService, owner: string) {
  const admin = await service.as("ops", ["admin"]);
  return (await admin.request(op.IDENTITIES, { first: 100, owner })).data!.communicationIdentities.nodes;
}

test(
  "50 parallel first mints on one process create one identity",
  async () => {
    const service = await startTestService({ RATE_LIMIT_MINT_PER_MINUTE: "1000" });
    try {
      const created = service.emulator!.stats().identitiesCreated;
      const results = await parallelFirstMints([service], "eager-alice", 50);
      expect(results.flatMap((r) => r.errors)).toEqual([]);
      const ids = new Set(results.map((r) => r.data!.issueMyAccessToken.identity.id));
      expect(ids.size).toBe(1);
      expect(await identitiesOf(service, "eager-alice")).toHaveLength(1);
      expect(service.emulator!.stats().identitiesCreated - created).toBe(1); // no orphan in ACS
    } finally {
      await service.stop();
    }
  },
  SERVICE_START_TIMEOUT_MS,
);

describeWithPostgres("two replicas sharing PostgreSQL", (schema) => {
  let replicas: TestService[] = [];
  beforeAll(async () => {
    const database = schema();
    const first = await startTestService(
      { RATE_LIMIT_MINT_PER_MINUTE: "1000" },
      { database: { kind: "postgres", url: database.url, poolSize: 10 } },
    );
    // The second replica talks to the same ACS (the first one's emulator) and the same database.
    const second = await startTestService(
      {
        RATE_LIMIT_MINT_PER_MINUTE: "1000",
        ACS_CONNECTION_STRING: first.emulator!.connectionString,
        AUTH_ALLOW_DEV_TOKENS: "true",
      },
      { database: { kind: "postgres", url: database.url, poolSize: 10 }, dataDir: first.config.dataDir },
    );
    replicas = [first, second];
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const replica of replicas.reverse()) await replica.stop();
  });

  test("50 parallel first mints across both create one identity", async () => {
    const created = replicas[0].emulator!.stats().identitiesCreated;
    const results = await parallelFirstMints(replicas, "eager-bob", 50);
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    expect(new Set(results.map((r) => r.data!.issueMyAccessToken.identity.id)).size).toBe(1);
    expect(await identitiesOf(replicas[1], "eager-bob")).toHaveLength(1);
    expect(replicas[0].emulator!.stats().identitiesCreated - created).toBe(1);
  });
});
