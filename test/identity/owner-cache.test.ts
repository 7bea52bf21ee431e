// The mint path's owner-to-identity cache, against the in-memory fakes: a repeat mint reads nothing from
// the store and writes only its audit event; this process's revoke and delete drop the entry; another
// replica's delete (two services sharing one store and one ACS) is noticed through ACS's refusal and
// answered with the owner's new identity, never an error. The same story end to end, on PostgreSQL:
// test/api/owner-cache-replicas.test.ts.
import { IdentityService, type IdentityStore } from "../../src/identity";
import {
  callerAs,
  FakeAcs,
  MemoryAuditLog,
  MemoryCreationLedger,
  MemoryStore,
  RecordingLimiter,
} from "./fakes";

let acs: FakeAcs;
let store: MemoryStore;
let audit: MemoryAuditLog;
let limiter: RecordingLimiter;
let reads: string[];
const replica = () =>
  new IdentityService({
    acs,
    store: counting(store),
    creations: new MemoryCreationLedger(store, audit),
    audit,
    limiter,
  });
beforeEach(() => {
  acs = new FakeAcs();
  store = new MemoryStore();
  audit = new MemoryAuditLog();
  limiter = new RecordingLimiter();
  reads = [];
});

/** The store, recording each owner lookup. */
function counting(inner: MemoryStore): IdentityStore {
  return new Proxy(inner, {
    get(target, name, receiver) {
      if (name === "findActiveByOwner")
        return (owner: string) => {
          reads.push(owner);
          return target.findActiveByOwner(owner);
        };
      const value = Reflect.get(target, name, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const alice = callerAs("alice", ["user"]);
const admin = callerAs("root", ["admin"]);

test("repeat mints look the owner up once and write only their audit event", async () => {
  const service = replica();
  const first = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
  reads.length = 0;
  const events = audit.events.length;
  const second = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
  const third = await service.tokens.issueMyAccessToken(alice, ["voip"], 60);
  expect(reads).toEqual([]);
  expect([second.identity.id, third.identity.id]).toEqual([first.identity.id, first.identity.id]);
  expect(audit.events.slice(events).map((e) => `${e.action} ${e.outcome}`)).toEqual([
    "token.issue success",
    "token.issue success",
  ]);
  // The answer's lastTokenIssuedAt is the audit event's time, from which the store derives it.
  expect(third.identity.lastTokenIssuedAt).toEqual(audit.events.at(-1)!.at);
  expect(store.rows.get(first.identity.id)!.lastTokenIssuedAt).toBeNull(); // no write to the identity
});

test("a delete in this process drops the entry: the next mint gets a new identity", async () => {
  const service = replica();
  const first = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
  await service.lifecycle.deleteIdentity(admin, first.identity.id);
  const next = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
  expect(next.identity.id).not.toBe(first.identity.id);
  expect(acs.calls.filter((call) => call.startsWith("issue"))).toHaveLength(2); // no refused attempt
});

test("a revoke in this process drops the entry: the next mint answers the new tokensRevokedAt", async () => {
  const service = replica();
  const first = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
  const revoked = await service.lifecycle.revokeAccessTokens(alice, first.identity.id);
  const next = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
  expect(next.identity.tokensRevokedAt).toEqual(revoked.tokensRevokedAt);
});

test("another replica's delete: ACS's refusal drops the stale entry and the owner gets a new identity", async () => {
  const [one, two] = [replica(), replica()];
  const first = await one.tokens.issueMyAccessToken(alice, ["chat"], 60); // cached in `one`
  await two.lifecycle.deleteIdentity(admin, first.identity.id);
  limiter.consumed.length = 0;
  const next = await one.tokens.issueMyAccessToken(alice, ["chat"], 60);
  expect(next.identity.id).not.toBe(first.identity.id);
  expect(next.identity.owner).toBe("alice");
  // One mint charged once, plus the create it needed; the refused attempt is not charged again.
  expect(limiter.consumed).toEqual([["mint"], ["create"]]);
  expect(audit.events.at(-1)).toMatchObject({
    action: "token.issue",
    outcome: "success",
    identityId: next.identity.id,
  });
  // ...and the new identity is cached in turn.
  reads.length = 0;
  await one.tokens.issueMyAccessToken(alice, ["chat"], 60);
  expect(reads).toEqual([]);
});

test("another replica's delete and re-create: the owner's current identity is used", async () => {
  const [one, two] = [replica(), replica()];
  const first = await one.tokens.issueMyAccessToken(alice, ["chat"], 60);
  await two.lifecycle.deleteIdentity(admin, first.identity.id);
  const recreated = await two.tokens.issueMyAccessToken(alice, ["chat"], 60);
  const next = await one.tokens.issueMyAccessToken(alice, ["chat"], 60);
  expect(next.identity.id).toBe(recreated.identity.id);
});

test("ACS refusing an identity the store still holds is the caller's NOT_FOUND, asked once more only", async () => {
  const service = replica();
  const first = await service.tokens.issueMyAccessToken(alice, ["chat"], 60);
  acs.identities.delete(first.identity.id); // lost in ACS, not deleted through this service
  await expect(service.tokens.issueMyAccessToken(alice, ["chat"], 60)).rejects.toMatchObject({
    code: "NOT_FOUND",
  });
  expect(acs.calls.filter((call) => call.startsWith("issue"))).toHaveLength(2);
  expect(audit.events.at(-1)).toMatchObject({ action: "token.issue", outcome: "failed" });
});
