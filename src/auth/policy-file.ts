// Loads the policy (roles to permissions, scopes, lifetimes and rate limits) from a JSON or YAML file,
// validated against the core's vocabulary; a mistake names the file and the path inside it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../config";
import { ACS_SCOPES, MAX_TOKEN_MINUTES, MIN_TOKEN_MINUTES, RATE_BUCKETS } from "../identity/model";
import { DEFAULT_POLICY, PERMISSIONS, type Policy } from "../identity/policy";

const perMinute = z.number().int().min(1).max(1_000_000);
const RoleRateLimitsSchema = z
  .object(Object.fromEntries(RATE_BUCKETS.map((bucket) => [bucket, perMinute.optional()])))
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

/** The YAML parser, loaded only for a YAML policy file (72 modules nobody else needs). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parseYaml = (text: string): unknown => (require("yaml") as typeof import("yaml")).parse(text);

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
