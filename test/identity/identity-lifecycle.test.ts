// The identity lifecycle use cases (create, revoke, delete) against in-memory fakes of their ports. The
// same stories run end to end in test/api and test/security against the emulator and the databases.
import { AppError, ErrorCode } from "../../src/errors";
import { callerAs } from "./fakes";
import { alice, admin, fakeCore, type FakeCore } from "./fake-service";

let acs: FakeCore["acs"];
let store: FakeCore["store"];
let audit: FakeCore["audit"];
let service: FakeCore["service"];
beforeEach(() => {
  ({ acs, store, audit, service } = fakeCore());
});

describe("createIdentity", () => {
  test("an owned identity is got-or-created; an ownerless one is always new", async () => {
    const a = await service.lifecycle.createIdentity(admin, "carol");
    const b = await service.lifecycle.createIdentity(admin, "carol");
    const c = await service.lifecycle.createIdentity(admin, null);
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
    expect(acs.calls).toEqual(["create", "create"]);
  });

  test("an identity that cannot be stored stays in the ledger, and the reconciler stores it with its event", async () => {
    const seed = store.seed.bind(store);
    store.seed = async () => {
      throw new Error("database down");
    };
    await expect(service.lifecycle.createIdentity(admin, null)).rejects.toThrow("could not be recorded");
    expect(acs.identities.size).toBe(1);
    store.seed = seed;
    const report = await service.reconciler.run();
    expect(report).toMatchObject({ recordedCreates: 1, failures: 0 });
    const [id] = acs.identities;
    expect((await store.findById(id))?.createdBy).toBe("root");
    expect(audit.events.filter((e) => e.action === "identity.create" && e.identityId === id)).toHaveLength(1);
  });
});

describe("revoke and delete", () => {
  test("owners revoke their own tokens; others need token:revoke", async () => {
    const { identity } = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
    const bob = callerAs("bob", ["user"]);
    await expect(service.lifecycle.revokeAccessTokens(bob, identity.id)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const revoked = await service.lifecycle.revokeAccessTokens(alice, identity.id);
    expect(revoked.tokensRevokedAt).not.toBeNull();
    expect(acs.calls).toContain(`revoke ${identity.id}`);
  });

  test("a delete that ACS fails stays requested, and calling again completes it", async () => {
    const { identity } = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
    acs.failing.deleteIdentity = new AppError(ErrorCode.ACS_UNAVAILABLE, "down");
    await expect(service.lifecycle.deleteIdentity(admin, identity.id)).rejects.toMatchObject({
      code: "ACS_UNAVAILABLE",
    });
    expect(store.rows.get(identity.id)?.deletionRequestedAt).not.toBeNull();
    await expect(service.tokens.issueMyAccessToken(alice, ["chat"], 60)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    delete acs.failing.deleteIdentity;
    const deleted = await service.lifecycle.deleteIdentity(admin, identity.id);
    expect(deleted.deletedAt).not.toBeNull();
    expect(acs.identities.has(identity.id)).toBe(false);
  });
});
