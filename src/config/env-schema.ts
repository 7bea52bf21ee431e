// The environment variables: each one's name, how it parses, its bounds and its default (docs/configuration.md
// explains them). Apart from loadConfig so the whole list of settings reads as one table.
import { z } from "zod";
import { ACS_DEFAULT_QUOTA_PER_30S, RATE_BUCKETS, type RateBucket } from "../identity/model";

const csv = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);

const bool = z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const url = z.url({ protocol: /^https?$/ });

/**
 * Three settings per rate bucket (src/identity/model RATE_BUCKETS), named after it:
 * RATE_LIMIT_<BUCKET>_PER_MINUTE (per caller), RATE_LIMIT_<BUCKET>_PER_MINUTE_PER_ADDRESS (per client
 * address) and ACS_QUOTA_<BUCKET>_PER_30S (service-wide, by default below ACS's per-resource quota).
 */
const BUCKET_DEFAULTS: Record<RateBucket, { perMinute: number; perAddress: number }> = {
  mint: { perMinute: 30, perAddress: 120 },
  create: { perMinute: 20, perAddress: 60 },
  revoke: { perMinute: 20, perAddress: 60 },
  delete: { perMinute: 20, perAddress: 60 },
  // Refusals a signed-in caller may cause (each an audit write): honest clients cause a few at most.
  denial: { perMinute: 30, perAddress: 120 },
};
export const bucketSetting = {
  perMinute: (bucket: RateBucket) => `RATE_LIMIT_${bucket.toUpperCase()}_PER_MINUTE`,
  perAddress: (bucket: RateBucket) => `RATE_LIMIT_${bucket.toUpperCase()}_PER_MINUTE_PER_ADDRESS`,
  acsQuota: (bucket: RateBucket) => `ACS_QUOTA_${bucket.toUpperCase()}_PER_30S`,
};
const bucketSettings = Object.fromEntries(
  RATE_BUCKETS.flatMap((bucket) => [
    [bucketSetting.perMinute(bucket), positiveInt.default(BUCKET_DEFAULTS[bucket].perMinute)],
    [bucketSetting.perAddress(bucket), positiveInt.default(BUCKET_DEFAULTS[bucket].perAddress)],
    // Below ACS's default quota, so callers get RATE_LIMITED from us rather than ACS_THROTTLED; above it
    // is accepted with a warning (Microsoft raises quotas on request; the emulator has none).
    [
      bucketSetting.acsQuota(bucket),
      positiveInt.default(Math.floor(ACS_DEFAULT_QUOTA_PER_30S[bucket] * 0.9)),
    ],
  ]),
) as Record<string, z.ZodDefault<z.ZodNumber>>;
export const perBucket = (settings: Record<string, unknown>, name: (bucket: RateBucket) => string) =>
  Object.fromEntries(RATE_BUCKETS.map((bucket) => [bucket, settings[name(bucket)] as number])) as Record<
    RateBucket,
    number
  >;

export const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port.default(4000),
  DATA_DIR: z.string().min(1).default(".data"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

  ACS_CONNECTION_STRING: z
    .string()
    .regex(/endpoint=.+;accesskey=.+/i, "must look like endpoint=https://...;accesskey=...")
    .optional(),
  ACS_ENDPOINT: url.optional(),
  // With ACS_ENDPOINT: which @azure/identity credential (docs/azure.md), and the AZURE_* variables it reads.
  ACS_CREDENTIAL: z
    .enum(["default", "managed-identity", "workload-identity", "client-secret"])
    .default("default"),
  AZURE_TENANT_ID: z.string().min(1).optional(),
  AZURE_CLIENT_ID: z.string().min(1).optional(),
  AZURE_CLIENT_SECRET: z.string().min(1).optional(),
  AZURE_FEDERATED_TOKEN_FILE: z.string().min(1).optional(),
  AZURE_AUTHORITY_HOST: z.url({ protocol: /^https$/ }).optional(),
  // PEM certificates trusted besides the public CAs, for ACS and the authority (a private CA).
  ACS_CA_FILE: z.string().min(1).optional(),
  ACS_TIMEOUT_MS: positiveInt.default(10_000),
  ACS_MAX_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  // Fail fast on ACS (src/acs/resilience.ts): calls at once, calls waiting, and the circuit breaker.
  ACS_MAX_CONCURRENCY: positiveInt.max(1_000).default(32),
  ACS_MAX_QUEUE: z.coerce.number().int().min(0).max(10_000).default(256),
  ACS_BREAKER_FAILURES: positiveInt.max(1_000).default(5),
  ACS_BREAKER_OPEN_SECONDS: positiveInt.max(3_600).default(10),
  // SIGTERM: readiness fails at once; after the grace, new requests are refused and in-flight ones get
  // up to the limit; cutting any off exits non-zero.
  DRAIN_GRACE_MS: z.coerce.number().int().min(0).max(300_000).default(5_000),
  DRAIN_LIMIT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  // /metrics, /readyz/detail and the ops routes on their own port, not the public one (unset: public).
  OPS_PORT: port.optional(),
  OPS_HOST: z.string().min(1).optional(),
  // Repeat-safe creates (customId, preview API 2025-03-02-preview): on by default on the emulator only.
  ACS_CUSTOM_ID: bool.optional(),
  // The reconciler's period (0: only at start and when an operator runs it) and the longest wait for
  // another request's create of the same owner (docs/consistency.md).
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  OWNER_CREATE_WAIT_MS: positiveInt.max(120_000).default(15_000),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt.min(100).default(10_000),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// URL")
    .optional(),

  AUTH_ISSUER: url.optional(),
  AUTH_JWKS_URL: url.optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_ALGORITHMS: csv
    .pipe(
      z
        .array(
          z.enum(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]),
        )
        .min(1),
    )
    .default(["RS256"]),
  AUTH_ROLES_CLAIM: z.string().min(1).default("roles"),
  // The claim naming the caller's Entra ID object id: the only Teams user whose token they may exchange.
  AUTH_OBJECT_ID_CLAIM: z.string().min(1).default("oid"),
  // The embedded emulator's stand-in for Entra ID, for the Teams token exchange (development and tests).
  EMULATOR_TEAMS_ISSUER: url.optional(),
  EMULATOR_TEAMS_JWKS_URL: url.optional(),
  AUTH_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  AUTH_ALLOW_DEV_TOKENS: bool.optional(),
  AUTH_JWKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  AUTH_JWKS_COOLDOWN_SECONDS: z.coerce.number().int().min(1).max(3_600).default(30),
  AUTH_MAX_TOKEN_BYTES: z.coerce.number().int().min(512).max(16_384).default(8_192),
  POLICY_FILE: z.string().min(1).optional(),

  ...bucketSettings,
  // Quota-aware token reuse (off by default): keys are base64 32-byte AES-256-GCM keys, the first seals.
  TOKEN_REUSE: bool.optional(),
  TOKEN_REUSE_KEYS: csv.optional(),
  TOKEN_REUSE_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  TOKEN_REUSE_MIN_REMAINING_SECONDS: z.coerce.number().int().min(0).max(86_400).default(900),
  // Namespaces the rate-limit keys in a shared Redis (e.g. staging and production on one server).
  // Identical denials within this window are one audit event with a count; 0: one event each (the
  // denial budget still bounds them).
  AUDIT_DENIAL_WINDOW_SECONDS: z.coerce.number().int().min(0).max(3_600).default(60),
  RATE_LIMIT_KEY_PREFIX: z
    .string()
    .regex(/^[\w.:-]{1,64}$/, "use up to 64 letters, digits and _ . : -")
    .default("acs-identity-graph"),

  CORS_ORIGINS: csv
    .refine((origins) => !origins.includes("*"), "a wildcard origin is refused: list each allowed origin")
    .pipe(z.array(url))
    .default([]),
  CORS_ALLOW_STUDIO: bool.optional(),
  INTROSPECTION: bool.optional(),
  APOLLO_KEY: z.string().min(1).optional(),
  APOLLO_GRAPH_REF: z.string().min(1).optional(),
  FIELD_SUGGESTIONS: bool.optional(),
  // A manifest of the only operations to run (trusted documents); unset: any document runs.
  TRUSTED_DOCUMENTS_FILE: z.string().min(1).optional(),
  MAX_QUERY_DEPTH: positiveInt.default(10),
  MAX_ALIASES: positiveInt.default(15),
  MAX_ROOT_FIELDS: positiveInt.default(5),
  MAX_TOKENS: positiveInt.default(2_000),
  MAX_DIRECTIVES: positiveInt.default(10),
  MAX_COST: positiveInt.default(5_000),
  MAX_ENTITY_REPRESENTATIONS: positiveInt.max(10_000).default(100),
  // Inline (ftv1) traces go only to a router that sends this in `x-federation-trace-secret`.
  FEDERATION_TRACE_SECRET: z.string().min(32, "use at least 32 characters").optional(),
  MAX_REQUEST_BYTES: positiveInt.default(100_000),
  // Callers without a bearer token: their operations are small; a large anonymous body is refused unread.
  ANONYMOUS_MAX_REQUEST_BYTES: positiveInt.default(16_384),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt.default(30_000),
  HTTP_HEADERS_TIMEOUT_MS: positiveInt.default(10_000),
  // Which proxies' X-Forwarded-For to believe for the client address: "false" (none, the default), a
  // hop count, or a list of addresses/CIDRs/`loopback`/`uniquelocal`. Never "true": clients could spoof it.
  TRUST_PROXY: z
    .string()
    .refine((value) => value !== "true", "true would believe any client's X-Forwarded-For: name the proxies")
    .transform((value): boolean | number | string[] =>
      value === "false" ? false : /^\d+$/.test(value) ? Number(value) : value.split(",").map((v) => v.trim()),
    )
    .default(false),
});

/** The parsed environment: what loadConfig and the cross-setting checks read. */
export type Env = z.infer<typeof EnvSchema>;
