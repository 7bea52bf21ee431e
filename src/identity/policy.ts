// The authorization vocabulary and its pure checks: permissions, a role's policy, what one caller may do,
// and whether a token request fits it. Loading a policy file (fs, YAML, zod) lives at the edge, in auth.
import { badInput, forbidden } from "../errors";
import { ACS_SCOPES, MAX_TOKEN_MINUTES, MIN_TOKEN_MINUTES, type AcsScope, type RateBucket } from "./model";

export const PERMISSIONS = [
  "mint:self", // mint for the caller's own identity
  "mint:any", // mint for any identity
  "identity:create", // create identities for others, or without an owner
  "token:revoke", // revoke any identity's tokens (owners may always revoke their own)
  "identity:delete",
  "identity:read", // read any identity (everyone may read their own)
  "audit:read",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Requests per minute per principal; a bucket left out uses the configured default for that bucket. */
export type RoleRateLimits = Partial<Record<RateBucket, number>>;

export interface RolePolicy {
  permissions: Permission[];
  scopes: AcsScope[];
  /** 60..1440 */
  maxTokenLifetimeMinutes: number;
  rateLimits?: RoleRateLimits;
}

export interface Policy {
  roles: Record<string, RolePolicy>;
  /** What callers without a token may do. Absent: nothing (deny by default). */
  anonymous?: RolePolicy;
}

/** What one caller may do: the union over their roles. */
export interface EffectivePolicy {
  permissions: ReadonlySet<Permission>;
  scopes: ReadonlySet<AcsScope>;
  /** The longest lifetime over the caller's roles that may mint; 0 when none may. */
  maxTokenLifetimeMinutes: number;
  /**
   * Each of the caller's roles' own per-minute limits ({} for a role that sets none); resolve with
   * `rateLimitFor`, which needs the configured defaults.
   */
  roleRateLimits: readonly RoleRateLimits[];
}

/** Who the policy is applied to: a subject (null when anonymous) and the roles their token claims. */
export interface PolicySubject {
  subject: string | null;
  roles: readonly string[];
}

const ALL_SCOPES = [...ACS_SCOPES];

export const DEFAULT_POLICY: Policy = {
  roles: {
    user: { permissions: ["mint:self"], scopes: ALL_SCOPES, maxTokenLifetimeMinutes: 1440 },
    guest: {
      permissions: ["mint:self"],
      scopes: ["chat.join.limited", "voip.join"],
      maxTokenLifetimeMinutes: 60,
    },
    service: {
      permissions: ["mint:self", "mint:any", "identity:create", "identity:read"],
      scopes: ALL_SCOPES,
      maxTokenLifetimeMinutes: 1440,
    },
    admin: { permissions: [...PERMISSIONS], scopes: ALL_SCOPES, maxTokenLifetimeMinutes: 1440 },
  },
};

const MINTING: ReadonlySet<Permission> = new Set(["mint:self", "mint:any"]);

export function effectivePolicy(policy: Policy, principal: PolicySubject): EffectivePolicy {
  const rules =
    principal.subject === null
      ? policy.anonymous
        ? [policy.anonymous]
        : []
      : principal.roles.flatMap((role) => (Object.hasOwn(policy.roles, role) ? [policy.roles[role]] : []));
  const permissions = new Set<Permission>();
  const scopes = new Set<AcsScope>();
  let maxTokenLifetimeMinutes = 0;
  const roleRateLimits = rules.map((rule) => rule.rateLimits ?? {});
  for (const rule of rules) {
    rule.permissions.forEach((permission) => permissions.add(permission));
    if (!rule.permissions.some((permission) => MINTING.has(permission))) continue;
    rule.scopes.forEach((scope) => scopes.add(scope));
    maxTokenLifetimeMinutes = Math.max(maxTokenLifetimeMinutes, rule.maxTokenLifetimeMinutes);
  }
  return { permissions, scopes, maxTokenLifetimeMinutes, roleRateLimits };
}

/**
 * The caller's per-minute limit for one bucket: the most generous of its roles, where a role without
 * its own limit counts as `fallback` (so an extra role can only raise a caller's limit, never lower it).
 */
export function rateLimitFor(effective: EffectivePolicy, bucket: RateBucket, fallback: number): number {
  if (effective.roleRateLimits.length === 0) return fallback;
  return Math.max(...effective.roleRateLimits.map((limits) => limits[bucket] ?? fallback));
}

/**
 * A token request must fit ACS (bad input otherwise) and the caller's policy (forbidden otherwise):
 * the server decides scopes and lifetime, and asking for more is refused, never clamped.
 */
export function checkTokenRequest(
  effective: EffectivePolicy,
  scopes: readonly AcsScope[],
  expiresInMinutes: number,
): void {
  if (scopes.length === 0) throw badInput("Ask for at least one scope.", "scopes");
  if (new Set(scopes).size !== scopes.length) throw badInput("Each scope may be asked for once.", "scopes");
  if (
    !Number.isInteger(expiresInMinutes) ||
    expiresInMinutes < MIN_TOKEN_MINUTES ||
    expiresInMinutes > MAX_TOKEN_MINUTES
  ) {
    throw badInput(
      `expiresInMinutes must be between ${MIN_TOKEN_MINUTES} and ${MAX_TOKEN_MINUTES}.`,
      "expiresInMinutes",
    );
  }
  const refused = scopes.filter((scope) => !effective.scopes.has(scope));
  if (refused.length) {
    const allowed = [...effective.scopes].join(", ") || "none";
    throw forbidden(`Your roles do not allow the scope(s) ${refused.join(", ")}. Allowed: ${allowed}.`);
  }
  if (expiresInMinutes > effective.maxTokenLifetimeMinutes) {
    throw forbidden(`Your roles allow tokens of at most ${effective.maxTokenLifetimeMinutes} minutes.`);
  }
}
