// The audit trail on its own: what `audited` records for each outcome, and what it does when the
// record cannot be written.
import { AppError, ErrorCode, forbidden, notFound } from "../../src/errors";
import { AuditTrail } from "../../src/identity/audit-trail";
import type { IdentityRecord } from "../../src/identity";
import { callerAs, MemoryAuditLog } from "./fakes";

const ID = "8:acs:00000000-0000-4000-8000-000000000000_1";
const identity: IdentityRecord = {
  id: ID,
  owner: "alice",
  createdBy: "alice",
  createdAt: new Date(),
  lastTokenIssuedAt: null,
  tokensRevokedAt: null,
  deletionRequestedAt: null,
  deletedAt: null,
};

let log: MemoryAuditLog;
let trail: AuditTrail;
beforeEach(() => {
  log = new MemoryAuditLog();
  trail = new AuditTrail(log);
});

test("a success is recorded with who, which request and what, before the result is returned", async () => {
  const caller = { ...callerAs("alice", ["user"]), operation: "Mutation.issueMyAccessToken" };
  const expiresOn = new Date(Date.UTC(2030, 0, 1));
  await trail.audited(caller, { action: "token.issue", scopes: ["chat"] }, async () => ({
    identity,
    expiresOn,
  }));
  expect(log.events).toEqual([
    expect.objectContaining({
      actor: "alice",
      action: "token.issue",
      identityId: ID,
      scopes: ["chat"],
      expiresOn,
      outcome: "success",
      errorCode: null,
      requestId: "request-0001",
      operation: "Mutation.issueMyAccessToken",
    }),
  ]);
});

test("a failure is recorded as failed with its code, and the caller gets the failure", async () => {
  const failure = new AppError(ErrorCode.ACS_UNAVAILABLE, "down");
  await expect(
    trail.audited(callerAs("alice", ["user"]), { action: "token.revoke", identityId: ID }, async () => {
      throw failure;
    }),
  ).rejects.toBe(failure);
  expect(log.events).toEqual([
    expect.objectContaining({ outcome: "failed", errorCode: "ACS_UNAVAILABLE", identityId: ID }),
  ]);
});

test("a refusal is a denial; a hidden identity records the truth, not the caller's answer", async () => {
  await expect(
    trail.audited(callerAs("alice", ["user"]), { action: "identity.delete" }, async () => {
      throw forbidden("no");
    }),
  ).rejects.toThrow("no");
  await expect(
    trail.audited(callerAs("alice", ["user"]), { action: "token.issue", identityId: ID }, async (audit) => {
      audit.hidden = { errorCode: ErrorCode.FORBIDDEN };
      throw notFound("unknown");
    }),
  ).rejects.toThrow("unknown");
  expect(log.events.map((e) => [e.outcome, e.errorCode])).toEqual([
    ["denied", "FORBIDDEN"],
    ["denied", "FORBIDDEN"],
  ]);
});

test("anonymous callers and unauthenticated refusals leave no row", async () => {
  await trail.recordDenial(callerAs(null), { action: "identity.read" });
  await expect(
    trail.audited(callerAs("alice"), { action: "token.issue" }, async () => {
      throw new AppError(ErrorCode.UNAUTHENTICATED, "sign in");
    }),
  ).rejects.toThrow("sign in");
  expect(log.events).toEqual([]);
});

test("only well-formed identity ids are stored", async () => {
  await trail.recordDenial(callerAs("alice"), { action: "identity.read", identityId: "'; drop table" });
  expect(log.events[0].identityId).toBeNull();
});

test("when the record cannot be written, a success is withheld as INTERNAL; a denial is INTERNAL too", async () => {
  log.failing = new Error("disk full");
  await expect(
    trail.audited(callerAs("alice", ["user"]), { action: "identity.create" }, async () => identity),
  ).rejects.toMatchObject({ code: "INTERNAL" });
  await expect(trail.recordDenial(callerAs("alice"), { action: "audit.read" })).rejects.toMatchObject({
    code: "INTERNAL",
  });
});

test("authorize records a FORBIDDEN refusal and lets an allowed caller through silently", async () => {
  await trail.authorize(callerAs("root", ["admin"]), ["audit:read"], "Reading", "audit.read");
  await expect(
    trail.authorize(callerAs("alice", ["user"]), ["audit:read"], "Reading", "audit.read"),
  ).rejects.toMatchObject({
    code: "FORBIDDEN",
  });
  expect(log.events).toEqual([expect.objectContaining({ action: "audit.read", outcome: "denied" })]);
});
