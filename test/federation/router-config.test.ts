// The router's scope mapping comes from the policy file, so the router refuses what the service
// refuses and lets through what it allows: one vocabulary.
import { readFileSync } from "node:fs";
import path from "node:path";
import { apolloRouterRhai, roleScopes, scopesOfClaims } from "../../scripts/router-config";
import { loadPolicy } from "../../src/auth";
import { DEFAULT_POLICY, effectivePolicy } from "../../src/identity/policy";

const EXAMPLE = path.resolve(__dirname, "../../src/auth/policy.example.yaml");

test("each role maps to exactly the permissions the service grants it", () => {
  for (const policy of [DEFAULT_POLICY, loadPolicy(EXAMPLE)]) {
    const mapping = roleScopes(policy);
    for (const role of Object.keys(policy.roles)) {
      const service = [...effectivePolicy(policy, { subject: "s", roles: [role] }).permissions].sort();
      expect(scopesOfClaims(mapping, { roles: [role] }).sort()).toEqual(service);
    }
    // Several roles: the union, as the service computes it; unknown roles grant nothing.
    const roles = Object.keys(policy.roles).slice(0, 2);
    const union = [...effectivePolicy(policy, { subject: "s", roles }).permissions].sort();
    expect(scopesOfClaims(mapping, { roles: [...roles, "nobody"] }).sort()).toEqual(union);
  }
});

test("scopes come from the roles claim only, read like the service reads it", () => {
  const mapping = roleScopes(DEFAULT_POLICY);
  expect(scopesOfClaims(mapping, { roles: "user" })).toEqual(["mint:self"]);
  expect(scopesOfClaims(mapping, { roles: "user service" }).sort()).toEqual(
    ["identity:create", "identity:read", "mint:any", "mint:self"].sort(),
  );
  expect(scopesOfClaims(mapping, { scope: "mint:self" })).toEqual([]);
  expect(scopesOfClaims(mapping, { roles: ["__proto__", "constructor"] })).toEqual([]);
  expect(scopesOfClaims(mapping, undefined)).toEqual([]);
  expect(scopesOfClaims(mapping, { groups: ["admin"] }, "groups")).toContain("audit:read");
});

test("the checked-in router files match the built-in policy (`npm run router-config`)", () => {
  const mapping = roleScopes(DEFAULT_POLICY);
  const dir = path.resolve(__dirname, "../../router");
  expect(JSON.parse(readFileSync(path.join(dir, "role-scopes.json"), "utf8"))).toEqual(mapping);
  expect(readFileSync(path.join(dir, "role-scopes.rhai"), "utf8")).toBe(apolloRouterRhai(mapping, "roles"));
});
