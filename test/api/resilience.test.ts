// ACS failing, throttling or dropping connections: stable codes, nothing lost, and retries complete.
import { validateEmulatorToken } from "../../src/emulator/admin-client";
import { startTestService, type TestService } from "../support/service";
import * as op from "../support/operations";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

let service: TestService;
beforeAll(async () => {
  // One retry with a short delay keeps the suite fast; production defaults are documented in the README.
  service = await startTestService({
    ACS_MAX_RETRIES: "1",
    ACS_TIMEOUT_MS: "5000",
    RATE_LIMIT_MINT_PER_MINUTE: "1000",
  });
}, SERVICE_START_TIMEOUT_MS);
afterEach(() => service.emulator!.faults.clear());
afterAll(() => service?.stop());

const codes = (result: { errors: Array<{ code?: string }> }) => result.errors.map((e) => e.code);

test("ACS throttling reaches the caller at once as ACS_THROTTLED with ACS's Retry-After, is not retried, and is honoured locally", async () => {
  const alice = await service.as("throttled-alice", ["user"]);
  await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] });
  service.emulator!.faults.set([{ kind: "throttle", retryAfterSeconds: 1, count: 2 }]);
  const result = await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] });
  expect(codes(result)).toEqual(["ACS_THROTTLED"]);
  expect(result.errors[0].extensions.retryAfterSeconds).toBe(1);
  // Within ACS's pause the next mint is refused here, without calling ACS: its second 429 is unspent.
  const requests = service.emulator!.stats().requests;
  expect(codes(await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] }))).toEqual(["ACS_THROTTLED"]);
  expect(service.emulator!.stats().requests).toBe(requests);
  expect(service.emulator!.faults.list()).toMatchObject([{ kind: "throttle", count: 1 }]);
  service.emulator!.faults.clear();
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // ACS's Retry-After runs out
  expect((await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors).toEqual([]);
});

test("ACS outages become ACS_UNAVAILABLE, and a first mint that failed leaves no identity behind", async () => {
  const newcomer = await service.as("outage-newcomer", ["user"]);
  service.emulator!.faults.set([{ kind: "unavailable", ratio: 1 }]);
  const result = await newcomer.request(op.ISSUE_MY, { scopes: ["CHAT"] });
  expect(codes(result)).toEqual(["ACS_UNAVAILABLE"]);
  expect(result.errors[0].message).not.toMatch(/http:|accesskey|127\.0\.0\.1/i);
  expect((await newcomer.request(op.MY_IDENTITY)).data!.myCommunicationIdentity).toBeNull();
  service.emulator!.faults.clear();
  expect((await newcomer.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors).toEqual([]);
});

test("a dropped connection is retried by the SDK and the caller never notices", async () => {
  const alice = await service.as("dropped-alice", ["user"]);
  // A mint is safe to repeat; a create without customId is not (test/resilience/retries.test.ts).
  expect((await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors).toEqual([]);
  service.emulator!.faults.set([{ kind: "drop", count: 1 }]);
  const result = await alice.request(op.ISSUE_MY, { scopes: ["VOIP"] });
  expect(result.errors).toEqual([]);
  expect(
    await validateEmulatorToken(service.emulator!.endpoint, result.data!.issueMyAccessToken.token),
  ).toMatchObject({
    valid: true,
  });
});

test("a delete interrupted by an ACS outage is completed by a retry, and nothing is lost", async () => {
  const admin = await service.as("ops", ["admin"]);
  const minted = (await admin.request(op.CREATE_WITH_TOKEN, { owner: "to-delete", scopes: ["CHAT"] })).data!
    .createCommunicationIdentityWithToken;
  const id = minted.identity.id;

  service.emulator!.faults.set([{ kind: "unavailable", ratio: 1, method: "DELETE" }]);
  const failed = await admin.request(op.DELETE, { id });
  expect(codes(failed)).toEqual(["ACS_UNAVAILABLE"]);
  // The identity is still there, not deleted, and its token still works: nothing half-done is visible.
  expect((await admin.request(op.IDENTITY, { id })).data!.communicationIdentity.deletedAt).toBeNull();
  expect(await validateEmulatorToken(service.emulator!.endpoint, minted.token)).toMatchObject({
    valid: true,
  });
  // While the delete is pending, no new token is minted for it.
  expect(codes(await admin.request(op.ISSUE, { id, scopes: ["CHAT"] }))).toEqual(["NOT_FOUND"]);

  service.emulator!.faults.clear();
  const retried = await admin.request(op.DELETE, { id });
  expect(retried.errors).toEqual([]);
  expect(retried.data!.deleteCommunicationIdentity.deletedAt).not.toBeNull();
  expect(await validateEmulatorToken(service.emulator!.endpoint, minted.token)).toMatchObject({
    valid: false,
    reason: "identity_deleted",
  });

  const audit = (await admin.request(op.AUDIT, { first: 10, identityId: id })).data!.auditEvents.nodes;
  expect(audit.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`)).toEqual([
    "identity.delete:success",
    "token.issue:failed",
    "identity.delete:failed",
    "token.issue:success",
    "identity.create:success",
  ]);
});

test("a delete whose ACS call succeeded but was not recorded completes on retry", async () => {
  const admin = await service.as("ops", ["admin"]);
  const id = (await admin.request(op.CREATE, { owner: "half-deleted" })).data!.createCommunicationIdentity.id;
  // ACS deletes it, then the answer is lost (as if the database write after it failed or the process died).
  const sdk = new (await import("@azure/communication-identity")).CommunicationIdentityClient(
    service.emulator!.connectionString,
    { allowInsecureConnection: true },
  );
  await sdk.deleteUser({ communicationUserId: id });
  const retried = await admin.request(op.DELETE, { id });
  expect(retried.errors).toEqual([]);
  expect(retried.data!.deleteCommunicationIdentity.deletedAt).not.toBeNull();
});
