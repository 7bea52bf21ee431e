import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { authChecker } from "../../src/auth/auth-checker";
import { loadPolicy } from "../../src/auth/policy-file";
import {
  checkTokenRequest,
  DEFAULT_POLICY,
  effectivePolicy,
  rateLimitFor,
  type Permission,
  type Policy,
} from "../../src/identity/policy";
import { ConfigError } from "../../src/config";
import { AppError } from "../../src/errors";

const as = (roles: string[], subject: string | null = "someone") =>
  effectivePolicy(DEFAULT_POLICY, { subject, roles });
const codeOf = (run: () => void) => {
  try {
    run();
  } catch (error) {
    return (error as AppError).code;
  }
  return "OK";
};

test("the default roles", () => {
  expect([...as(["user"]).permissions]).toEqual(["mint:self"]);
  expect(as(["user"]).maxTokenLifetimeMinutes).toBe(1440);
  expect([...as(["guest"]).scopes].sort()).toEqual(["chat.join.limited", "voip.join"]);
  expect(as(["guest"]).maxTokenLifetimeMinutes).toBe(60);
  expect([...as(["service"]).permissions].sort()).toEqual([
    "identity:create",
    "identity:read",
    "mint:any",
    "mint:self",
  ]);
  expect(as(["admin"]).permissions.size).toBe(7);
});

test("roles combine as a union", () => {
  const both = as(["guest", "service"]);
  expect(both.permissions.has("mint:any")).toBe(true);
  expect(both.maxTokenLifetimeMinutes).toBe(1440);
});

test("deny by default: anonymous callers and unknown roles get nothing", () => {
  for (const effective of [as([], null), as(["superhero"]), as(["constructor"]), as(["__proto__"])]) {
    expect(effective.permissions.size).toBe(0);
    expect(effective.scopes.size).toBe(0);
    expect(effective.maxTokenLifetimeMinutes).toBe(0);
  }
});

test.each<[string, string[], string[], number, string]>([
  ["within policy", ["user"], ["chat", "voip"], 60, "OK"],
  ["a scope beyond the role", ["guest"], ["chat"], 60, "FORBIDDEN"],
  ["a lifetime beyond the role", ["guest"], ["voip.join"], 61, "FORBIDDEN"],
  ["no scopes", ["user"], [], 60, "BAD_USER_INPUT"],
  ["a repeated scope", ["user"], ["chat", "chat"], 60, "BAD_USER_INPUT"],
  ["59 minutes", ["user"], ["chat"], 59, "BAD_USER_INPUT"],
  ["1441 minutes", ["user"], ["chat"], 1441, "BAD_USER_INPUT"],
  ["a fractional lifetime", ["user"], ["chat"], 60.5, "BAD_USER_INPUT"],
  ["no minting role", ["superhero"], ["chat"], 60, "FORBIDDEN"],
])("token request: %s", (_name, roles, scopes, minutes, code) => {
  expect(codeOf(() => checkTokenRequest(as(roles), scopes as never, minutes))).toBe(code);
});

describe("policy files", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "policy-"));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  test("the shipped example loads", () => {
    const policy = loadPolicy(path.resolve(__dirname, "../../src/auth/policy.example.yaml"));
    expect(policy.roles["support-agent"].permissions).toContain("token:revoke");
    expect(policy.roles.guest.rateLimits).toEqual({ mint: 5 });
    expect(policy.roles.backend.rateLimits).toEqual({ mint: 600, create: 300 });
  });

  test("roles' rate limits load from YAML", () => {
    const policy = loadPolicy(
      write(
        "limits.yaml",
        [
          "roles:",
          "  x:",
          "    permissions: [mint:self]",
          "    scopes: [chat]",
          "    maxTokenLifetimeMinutes: 60",
          "    rateLimits: { mint: 2, create: 3, revoke: 4, delete: 5 }",
          "",
        ].join("\n"),
      ),
    );
    expect(policy.roles.x.rateLimits).toEqual({ mint: 2, create: 3, revoke: 4, delete: 5 });
  });

  test("JSON works too, including an anonymous rule", () => {
    const policy = loadPolicy(
      write(
        "p.json",
        JSON.stringify({
          roles: {},
          anonymous: { permissions: ["mint:self"], scopes: ["voip.join"], maxTokenLifetimeMinutes: 60 },
        }),
      ),
    );
    expect(effectivePolicy(policy, { subject: null, roles: [] }).scopes.has("voip.join")).toBe(true);
  });

  test.each([
    [
      "bad.yaml",
      "roles:\n  guest:\n    permissions: [mint:self]\n    scopes: [chat, teleport]\n    maxTokenLifetimeMinutes: 60\n",
      "roles.guest.scopes[1]",
    ],
    [
      "perm.yaml",
      "roles:\n  x:\n    permissions: [mint:everything]\n    scopes: []\n    maxTokenLifetimeMinutes: 60\n",
      "roles.x.permissions[0]",
    ],
    [
      "life.json",
      JSON.stringify({ roles: { x: { permissions: [], scopes: [], maxTokenLifetimeMinutes: 2000 } } }),
      "roles.x.maxTokenLifetimeMinutes",
    ],
    ["extra.json", JSON.stringify({ roles: {}, admins: [] }), "admins"],
    [
      "zero.yaml",
      "roles:\n  x:\n    permissions: []\n    scopes: []\n    maxTokenLifetimeMinutes: 60\n    rateLimits: { mint: 0 }\n",
      "roles.x.rateLimits.mint",
    ],
    [
      "fraction.json",
      JSON.stringify({
        roles: {
          x: { permissions: [], scopes: [], maxTokenLifetimeMinutes: 60, rateLimits: { revoke: 1.5 } },
        },
      }),
      "roles.x.rateLimits.revoke",
    ],
    [
      "text.json",
      JSON.stringify({
        roles: {},
        anonymous: {
          permissions: [],
          scopes: [],
          maxTokenLifetimeMinutes: 60,
          rateLimits: { delete: "ten" },
        },
      }),
      "anonymous.rateLimits.delete",
    ],
    [
      "bucket.yaml",
      "roles:\n  x:\n    permissions: []\n    scopes: []\n    maxTokenLifetimeMinutes: 60\n    rateLimits: { mints: 5 }\n",
      'roles.x.rateLimits: Unrecognized key: "mints"',
    ],
    ["broken.json", "{ nope", "not valid json"],
    ["missing.yaml", null, "cannot be read"],
  ])("%s is refused naming the problem", (name, text, where) => {
    const file = text === null ? path.join(dir, name) : write(name, text);
    let message = "";
    try {
      loadPolicy(file);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain("POLICY_FILE");
    expect(message).toContain(name);
    expect(message.toLowerCase()).toContain(where.toLowerCase());
  });
});

describe("rate limits by role", () => {
  const policy: Policy = {
    roles: {
      plain: { permissions: ["mint:self"], scopes: ["chat"], maxTokenLifetimeMinutes: 60 },
      low: {
        permissions: ["mint:self"],
        scopes: ["chat"],
        maxTokenLifetimeMinutes: 60,
        rateLimits: { mint: 2 },
      },
      high: {
        permissions: ["mint:self"],
        scopes: ["chat"],
        maxTokenLifetimeMinutes: 60,
        rateLimits: { mint: 100, revoke: 7 },
      },
    },
    anonymous: {
      permissions: ["mint:self"],
      scopes: ["voip.join"],
      maxTokenLifetimeMinutes: 60,
      rateLimits: { mint: 1 },
    },
  };
  const limit = (
    roles: string[],
    bucket: "mint" | "create" | "revoke" | "delete",
    subject: string | null = "u",
  ) => rateLimitFor(effectivePolicy(policy, { subject, roles }), bucket, 30);

  test.each<[string, string[], "mint" | "create" | "revoke" | "delete", number]>([
    ["a role with its own lower limit", ["low"], "mint", 2],
    ["a role with its own higher limit", ["high"], "mint", 100],
    ["a role without its own limit: the default", ["plain"], "mint", 30],
    ["a bucket the role leaves out: the default", ["high"], "create", 30],
    ["several roles: the most generous", ["low", "high"], "mint", 100],
    ["several roles: a role without its own counts as the default", ["low", "plain"], "mint", 30],
    ["a role's own limit below the default", ["high"], "revoke", 7],
    ["several roles, bucket by bucket (low sets no revoke limit)", ["low", "high"], "revoke", 30],
    ["unknown roles add nothing", ["low", "superhero"], "mint", 2],
    ["no known role: the default", ["superhero"], "mint", 30],
  ])("%s", (_name, roles, bucket, expected) => {
    expect(limit(roles, bucket)).toBe(expected);
  });

  test("anonymous callers get the anonymous rule's limits, else the default", () => {
    expect(limit([], "mint", null)).toBe(1);
    expect(limit([], "delete", null)).toBe(30);
    expect(rateLimitFor(effectivePolicy(DEFAULT_POLICY, { subject: null, roles: [] }), "mint", 30)).toBe(30);
  });
});

describe("the schema's auth checker", () => {
  const check = (subject: string | null, roles: string[], permissions: Permission[]) => {
    const context = {
      principal: { subject, roles },
      effective: effectivePolicy(DEFAULT_POLICY, { subject, roles }),
    };
    return codeOf(() => authChecker({ context, root: {}, args: {}, info: {} as never }, permissions));
  };
  test("signed-in callers pass a bare guard; anonymous ones are UNAUTHENTICATED", () => {
    expect(check("alice", [], [])).toBe("OK");
    expect(check(null, [], [])).toBe("UNAUTHENTICATED");
  });
  test("a permission guard passes with any listed permission and is FORBIDDEN otherwise", () => {
    expect(check("alice", ["user"], ["mint:self", "mint:any"])).toBe("OK");
    expect(check("alice", ["user"], ["audit:read"])).toBe("FORBIDDEN");
    expect(check(null, [], ["mint:self"])).toBe("UNAUTHENTICATED");
  });
});
