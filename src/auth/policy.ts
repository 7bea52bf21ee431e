import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError } from "../config";
import { badInput, forbidden } from "../errors";
import { ACS_SCOPES, MAX_TOKEN_MINUTES, MIN_TOKEN_MINUTES, type AcsScope } from "../identity/model";
import type { Principal } from "./principal";

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

/** The actions that spend ACS quota, each rate limited on its own. */
export const RATE_LIMIT_BUCKETS = ["mint", "create", "revoke", "delete"] as const;
export type RateLimitBucket = (typeof RATE_LIMIT_BUCKETS)[number];
/** Requests per minute per principal; a bucket left out uses the RATE_LIMIT_<BUCKET>_PER_MINUTE default. */
export type RoleRateLimits = Partial<Record<RateLimitBucket, number>>;

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

export function effectivePolicy(policy: Policy, principal: Principal): EffectivePolicy {
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
export function rateLimitFor(effective: EffectivePolicy, bucket: RateLimitBucket, fallback: number): number {
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

const perMinute = z.number().int().min(1).max(1_000_000);
const RoleRateLimitsSchema = z
  .object({
    mint: perMinute.optional(),
    create: perMinute.optional(),
    revoke: perMinute.optional(),
    delete: perMinute.optional(),
  })
  .strict();
const RolePolicySchema = z
  .object({
    permissions: z.array(z.enum(PERMISSIONS)),
    scopes: z.array(z.enum(ACS_SCOPES)),
    maxTokenLifetimeMinutes: z.number().int().min(MIN_TOKEN_MINUTES).max(MAX_TOKEN_MINUTES),
    rateLimits: RoleRateLimitsSchema.optional(),
  })
  .strict();
const PolicySchema = z
  .object({ roles: z.record(z.string().min(1), RolePolicySchema), anonymous: RolePolicySchema.optional() })
  .strict();

/** The built-in policy, or the JSON/YAML file given, validated; a mistake names the file and path. */
export function loadPolicy(file?: string): Policy {
  if (!file) return DEFAULT_POLICY;
  const fail = (why: string): never => {
    throw new ConfigError(`Invalid configuration:\n  POLICY_FILE (${file}): ${why}`);
  };
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let raw: unknown;
  try {
    raw = [".yaml", ".yml"].includes(path.extname(file).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    fail(`is not valid ${path.extname(file).slice(1) || "JSON"}: ${(error as Error).message.split("\n")[0]}`);
  }
  const parsed = PolicySchema.safeParse(raw);
  if (!parsed.success) {
    fail(
      parsed.error.issues
        .map(
          (issue) =>
            `${issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("")}: ${issue.message}`,
        )
        .join("; "),
    );
  }
  return parsed.data as Policy;
}
