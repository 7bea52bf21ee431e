// The core's authorization helpers, on their own: ownership, visibility and the token-request checks.
import { AppError } from "../../src/errors";
import {
  maySee,
  owns,
  requirePermission,
  requireSubject,
  tokenLifetime,
  unknownIdentity,
} from "../../src/identity/access";
import type { IdentityRecord } from "../../src/identity";
import { callerAs } from "./fakes";

const record = (owner: string | null): IdentityRecord => ({
  id: "8:acs:00000000-0000-4000-8000-000000000000_1",
  owner,
  createdBy: "someone",
  createdAt: new Date(),
  lastTokenIssuedAt: null,
  tokensRevokedAt: null,
  deletionRequestedAt: null,
  deletedAt: null,
});

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as AppError).code;
  }
  return "none";
};

test("owns: only a record whose owner is the caller's subject", () => {
  expect(owns(callerAs("alice", ["user"]), record("alice"))).toBe(true);
  expect(owns(callerAs("alice", ["user"]), record("bob"))).toBe(false);
  expect(owns(callerAs("alice", ["user"]), record(null))).toBe(false);
  expect(owns(callerAs(null), record(null))).toBe(false);
  expect(owns(callerAs("alice", ["user"]), undefined)).toBe(false);
});

test.each([
  ["user", "alice", [], true],
  ["user", "bob", [], false],
  ["user", "bob", ["mint:any"], false],
  ["service", "bob", [], true], // identity:read
  ["admin", "bob", [], true],
  ["guest", "bob", ["token:revoke"], false],
] as const)("maySee as %s someone's (%s) identity, reach %j: %s", (role, owner, reach, expected) => {
  expect(maySee(callerAs("alice", [role]), record(owner), [...reach])).toBe(expected);
});

test("requireSubject refuses anonymous callers with UNAUTHENTICATED", () => {
  expect(requireSubject(callerAs("alice"))).toBe("alice");
  expect(codeOf(() => requireSubject(callerAs(null)))).toBe("UNAUTHENTICATED");
});

test("requirePermission: any one of the permissions; FORBIDDEN when signed in, UNAUTHENTICATED when not", () => {
  expect(codeOf(() => requirePermission(callerAs("a", ["user"]), ["mint:self", "mint:any"], "x"))).toBe(
    "none",
  );
  expect(codeOf(() => requirePermission(callerAs("a", ["user"]), ["mint:any"], "x"))).toBe("FORBIDDEN");
  expect(codeOf(() => requirePermission(callerAs(null), ["mint:any"], "x"))).toBe("UNAUTHENTICATED");
});

test.each([
  ["user", ["chat"], undefined, 1440, "none"],
  ["guest", ["voip.join"], undefined, 60, "none"],
  ["guest", ["voip.join"], 61, 0, "FORBIDDEN"],
  ["guest", ["chat"], 60, 0, "FORBIDDEN"],
  ["user", [], 60, 0, "BAD_USER_INPUT"],
  ["user", ["chat", "chat"], 60, 0, "BAD_USER_INPUT"],
  ["user", ["chat"], 59, 0, "BAD_USER_INPUT"],
  ["user", ["chat"], 1441, 0, "BAD_USER_INPUT"],
  ["user", ["chat"], 90.5, 0, "BAD_USER_INPUT"],
] as const)("tokenLifetime as %s for %j, %s minutes", (role, scopes, minutes, expected, code) => {
  const caller = callerAs("alice", [role]);
  expect(codeOf(() => tokenLifetime(caller, [...scopes], minutes))).toBe(code);
  if (code === "none") expect(tokenLifetime(caller, [...scopes], minutes)).toBe(expected);
});

test("unknownIdentity is one NOT_FOUND answer with one message", () => {
  expect(unknownIdentity().code).toBe("NOT_FOUND");
  expect(unknownIdentity().message).toBe(unknownIdentity().message);
});
