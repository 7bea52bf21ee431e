// The read use cases against in-memory fakes of their ports: a caller sees their own identities, or all
// with identity:read; anything else reads as unknown and is recorded as a denial.
import { callerAs } from "./fakes";
import { alice, admin, fakeCore, type FakeCore } from "./fake-service";

let store: FakeCore["store"];
let service: FakeCore["service"];
let actions: FakeCore["actions"];
beforeEach(() => {
  ({ store, service, actions } = fakeCore());
});

describe("reads", () => {
  test("someone else's identity reads as null and is recorded as a denied read", async () => {
    const { identity } = await service.tokens.issueMyAccessToken(callerAs("bob", ["user"]), ["chat"], 60);
    expect(await service.queries.identity(alice, identity.id)).toBeNull();
    expect(await service.queries.identity(admin, identity.id)).toMatchObject({ owner: "bob" });
    expect(actions().at(-1)).toBe("identity.read denied");
  });

  test("batch lookups show a user only their own", async () => {
    await service.tokens.issueMyAccessToken(callerAs("bob", ["user"]), ["chat"], 60);
    const mine = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
    const owners = await service.queries.identitiesOfOwners(alice, ["alice", "bob"]);
    expect([...owners.keys()]).toEqual(["alice"]);
    const ids = [...store.rows.keys()];
    expect([...(await service.queries.identitiesByIds(alice, ids)).keys()]).toEqual([mine.identity.id]);
    expect((await service.queries.identitiesByIds(admin, ids)).size).toBe(2);
  });
});
