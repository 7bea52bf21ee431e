// The mint path's owner cache across replicas: each service caches owners' identities in its own
// process, so another replica's delete is learnt from ACS's refusal to mint for the deleted identity.
// Two services share PostgreSQL and ACS (one emulator); a delete on one, then a mint on the other,
// gets the owner's new identity, never an error. How the cache is kept honest: docs/performance.md.
import { postgresForTests } from "../support/postgres";
import { startTestService, type TestService } from "../support/service";
import * as op from "../support/operations";

describe("the owner cache on two replicas sharing PostgreSQL", () => {
  const postgres = postgresForTests();
  let replicas: TestService[] = [];
  beforeAll(async () => {
    const database = await postgres.setup();
    if (!database) return;
    const first = await startTestService(
      {},
      { database: { kind: "postgres", url: database.url, poolSize: 5 } },
    );
    const second = await startTestService(
      { ACS_CONNECTION_STRING: first.emulator!.connectionString, AUTH_ALLOW_DEV_TOKENS: "true" },
      { database: { kind: "postgres", url: database.url, poolSize: 5 }, dataDir: first.config.dataDir },
    );
    replicas = [first, second];
  });
  afterAll(async () => {
    for (const replica of replicas.reverse()) await replica.stop();
    await postgres.cleanup();
  });

  test("a delete on one replica, then a mint on the other: the owner's new identity, no error", async () => {
    if (!replicas.length) return postgres.skipped("delete on one replica, mint on the other");
    const [one, two] = replicas;
    const aliceOnTwo = await two.as("cache-alice", ["user"]);
    const mint = async () => {
      const result = await aliceOnTwo.request(op.ISSUE_MY, { scopes: ["CHAT"] });
      expect(result.errors).toEqual([]);
      return result.data!.issueMyAccessToken;
    };
    const first = await mint();
    expect((await mint()).identity.id).toBe(first.identity.id); // now cached on `two`

    const admin = await one.as("cache-ops", ["admin"]);
    const deleted = await admin.request(op.DELETE, { id: first.identity.id });
    expect(deleted.errors).toEqual([]);
    expect(deleted.data!.deleteCommunicationIdentity.deletedAt).not.toBeNull();

    const next = await mint();
    expect(next.identity.id).not.toBe(first.identity.id);
    expect(next.identity.owner).toBe("cache-alice");
    expect(next.token).toEqual(expect.any(String));
    // Both replicas agree on the owner's one active identity.
    const mine = await (await one.as("cache-alice", ["user"])).request(op.MY_IDENTITY);
    expect(mine.data!.myCommunicationIdentity.id).toBe(next.identity.id);
    // ...whose lastTokenIssuedAt, read on the other replica, is the mint's (derived from the audit trail).
    expect(mine.data!.myCommunicationIdentity.lastTokenIssuedAt).toBe(next.identity.lastTokenIssuedAt);
    expect((await mint()).identity.id).toBe(next.identity.id);
  });

  test("a revoke on one replica leaves the other's cached identity in use: its mints go on", async () => {
    if (!replicas.length) return postgres.skipped("revoke on one replica, mint on the other");
    const [one, two] = replicas;
    const bobOnTwo = await two.as("cache-bob", ["user"]);
    const first = (await bobOnTwo.request(op.ISSUE_MY, { scopes: ["CHAT"] })).data!.issueMyAccessToken;
    const revoked = await (await one.as("cache-bob", ["user"])).request(op.REVOKE, { id: first.identity.id });
    expect(revoked.errors).toEqual([]);
    // A revoke leaves the identity in ACS: the cached one is still the right identity to mint for.
    const next = await bobOnTwo.request(op.ISSUE_MY, { scopes: ["CHAT"] });
    expect(next.errors).toEqual([]);
    expect(next.data!.issueMyAccessToken.identity.id).toBe(first.identity.id);
  });
});
