// The token-issuing use cases against in-memory fakes of their ports: which ACS calls, quota and audit
// events each story makes, and that a refusal makes none. The same stories run end to end in test/api
// and test/security against the emulator and the real databases.
import { AppError, ErrorCode } from "../../src/errors";
import { callerAs } from "./fakes";
import { alice, admin, fakeCore, type FakeCore } from "./fake-service";

let acs: FakeCore["acs"];
let store: FakeCore["store"];
let audit: FakeCore["audit"];
let limiter: FakeCore["limiter"];
let service: FakeCore["service"];
let actions: FakeCore["actions"];
beforeEach(() => {
  ({ acs, store, audit, limiter, service, actions } = fakeCore());
});

describe("issueMyAccessToken", () => {
  test("a first mint creates the identity once, spends mint and create, and records both", async () => {
    const minted = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
    expect(minted.identity.owner).toBe("alice");
    expect(acs.calls).toEqual(["create", `issue ${minted.identity.id}`]);
    expect(limiter.consumed).toEqual([["mint", "create"]]);
    expect(actions()).toEqual(["identity.create success", "token.issue success"]);
  });

  test("a repeat mint reuses the identity and spends only mint", async () => {
    const first = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
    const second = await service.tokens.issueMyAccessToken(alice, ["voip"], 120);
    expect(second.identity.id).toBe(first.identity.id);
    expect(acs.calls.filter((c) => c === "create")).toHaveLength(1);
    expect(limiter.consumed[1]).toEqual(["mint"]);
  });

  test("beyond policy is FORBIDDEN before any ACS quota or call, and recorded as a denial", async () => {
    const guest = callerAs("gus", ["guest"]);
    await expect(service.tokens.issueMyAccessToken(guest, ["chat"], 60)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(acs.calls).toEqual([]);
    expect(limiter.consumed).toEqual([["denial"]]); // only the caller's denial budget
    expect(actions()).toEqual(["token.issue denied"]);
  });

  test("a rate-limit refusal makes no ACS call and is recorded as failed", async () => {
    limiter.refusal = new AppError(ErrorCode.RATE_LIMITED, "slow down", { retryAfterSeconds: 3 });
    await expect(service.tokens.issueMyAccessToken(alice, ["chat"], 60)).rejects.toMatchObject({
      code: "RATE_LIMITED",
    });
    expect(acs.calls).toEqual([]);
    expect(actions()).toEqual(["token.issue failed"]);
  });

  test("anonymous callers are refused without a record", async () => {
    await expect(service.tokens.issueMyAccessToken(callerAs(null), ["chat"], 60)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    expect(audit.events).toEqual([]);
  });
});

describe("issueAccessToken", () => {
  test("someone else's identity answers NOT_FOUND like an unknown id; the trail records FORBIDDEN", async () => {
    const { identity } = await service.tokens.issueMyAccessToken(callerAs("bob", ["user"]), ["chat"], 60);
    const unknown = identity.id.replace(/_\d+$/, "_99999999");
    const theirs = service.tokens.issueAccessToken(alice, identity.id, ["chat"], 60);
    const nobody = service.tokens.issueAccessToken(alice, unknown, ["chat"], 60);
    const [a, b] = await Promise.allSettled([theirs, nobody]);
    expect(a).toEqual(b);
    expect(audit.events.slice(-2).map((e) => [e.outcome, e.errorCode])).toEqual([
      ["denied", "FORBIDDEN"],
      ["denied", "NOT_FOUND"],
    ]);
  });

  test("a malformed id is BAD_USER_INPUT and reaches neither store nor ACS", async () => {
    await expect(service.tokens.issueAccessToken(admin, "not-an-id", ["chat"], 60)).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
    });
    expect(acs.calls).toEqual([]);
  });
});

test("an identity another replica stored between our look and our claim is used: ACS is not asked again", async () => {
  // The other replica commits the owner's identity right after our first look finds none.
  const look = store.findActiveByOwner.bind(store);
  let looks = 0;
  store.findActiveByOwner = async (owner) => {
    const found = await look(owner);
    if (++looks === 2) {
      await store.seed({
        id: (await acs.createIdentity()).id,
        owner,
        createdBy: "replica-b",
        createdAt: new Date(),
      });
      acs.calls.length = 0;
    }
    return found;
  };
  const minted = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
  expect(minted.identity.createdBy).toBe("replica-b");
  expect(acs.calls.filter((call) => call === "create")).toEqual([]);
});

describe("createIdentityWithToken", () => {
  test("needs identity:create and mint:any, and spends create and mint once", async () => {
    await expect(
      service.tokens.createIdentityWithToken(callerAs("s", ["user"]), "dave", ["chat"], 60),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    const minted = await service.tokens.createIdentityWithToken(
      callerAs("s", ["service"]),
      "dave",
      ["chat"],
      60,
    );
    expect(minted.identity.owner).toBe("dave");
    expect(limiter.consumed).toEqual([["denial"], ["create", "mint"]]);
  });
});

describe("exchangeTeamsUserToken", () => {
  const oid = "0b6b6d5e-3c6a-4a39-9f1e-2f1d7b0d2a11";
  const request = {
    teamsToken: "eyJ.teams.token",
    clientId: "5f0c2b8e-8d7a-4c1e-9a63-0c3a1d2b4e5f",
    userObjectId: oid,
  };

  test("your own Teams user: exchanged, spending the mint quota, audited without any identity", async () => {
    const caller = { ...alice, objectId: oid.toUpperCase() };
    await service.tokens.exchangeTeamsUserToken(caller, request);
    expect(acs.calls).toEqual(["exchangeTeams"]);
    expect(limiter.consumed).toEqual([["mint"]]);
    expect(audit.events).toEqual([
      expect.objectContaining({ action: "token.exchange_teams", identityId: null }),
    ]);
    expect(JSON.stringify(audit.events)).not.toContain(request.teamsToken);
  });

  test("someone else's Teams user, or no object id: FORBIDDEN with no ACS call", async () => {
    for (const objectId of ["11111111-2222-4333-8444-555555555555", null]) {
      await expect(
        service.tokens.exchangeTeamsUserToken({ ...alice, objectId }, request),
      ).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
    }
    expect(acs.calls).toEqual([]);
  });

  test.each([
    ["teamsToken", { teamsToken: "" }],
    ["teamsToken", { teamsToken: "a b" }],
    ["clientId", { clientId: "app" }],
    ["userObjectId", { userObjectId: "me" }],
  ])("malformed %s: BAD_USER_INPUT naming it", async (field, change) => {
    await expect(
      service.tokens.exchangeTeamsUserToken({ ...alice, objectId: oid }, { ...request, ...change }),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { field } });
  });
});
