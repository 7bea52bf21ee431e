// Every setting, read from the environment once and validated into one typed object.
// A bad setting stops start-up with a message naming it. No other module reads process.env.
import path from "node:path";
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
const underAcsQuota = (acsPer30s: number) =>
  positiveInt.max(acsPer30s, `must not exceed ACS's own quota of ${acsPer30s} per 30 seconds`);

/**
 * Three settings per rate bucket (src/identity/model RATE_BUCKETS), named after it:
 * RATE_LIMIT_<BUCKET>_PER_MINUTE (per caller), RATE_LIMIT_<BUCKET>_PER_MINUTE_PER_ADDRESS (per client
 * address) and ACS_QUOTA_<BUCKET>_PER_30S (service-wide, below ACS's per-resource quota).
 */
const BUCKET_DEFAULTS: Record<RateBucket, { perMinute: number; perAddress: number }> = {
  mint: { perMinute: 30, perAddress: 120 },
  create: { perMinute: 20, perAddress: 60 },
  revoke: { perMinute: 20, perAddress: 60 },
  delete: { perMinute: 20, perAddress: 60 },
};
const bucketSetting = {
  perMinute: (bucket: RateBucket) => `RATE_LIMIT_${bucket.toUpperCase()}_PER_MINUTE`,
  perAddress: (bucket: RateBucket) => `RATE_LIMIT_${bucket.toUpperCase()}_PER_MINUTE_PER_ADDRESS`,
  acsQuota: (bucket: RateBucket) => `ACS_QUOTA_${bucket.toUpperCase()}_PER_30S`,
};
const bucketSettings = Object.fromEntries(
  RATE_BUCKETS.flatMap((bucket) => [
    [bucketSetting.perMinute(bucket), positiveInt.default(BUCKET_DEFAULTS[bucket].perMinute)],
    [bucketSetting.perAddress(bucket), positiveInt.default(BUCKET_DEFAULTS[bucket].perAddress)],
    // A budget above ACS's own quota would let ACS throttle everyone: refused.
    [
      bucketSetting.acsQuota(bucket),
      underAcsQuota(ACS_DEFAULT_QUOTA_PER_30S[bucket]).default(
        Math.floor(ACS_DEFAULT_QUOTA_PER_30S[bucket] * 0.9),
      ),
    ],
  ]),
) as Record<string, z.ZodDefault<z.ZodNumber>>;
const perBucket = (settings: Record<string, unknown>, name: (bucket: RateBucket) => string) =>
  Object.fromEntries(RATE_BUCKETS.map((bucket) => [bucket, settings[name(bucket)] as number])) as Record<
    RateBucket,
    number
  >;

const EnvSchema = z.object({
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
  ACS_TIMEOUT_MS: positiveInt.default(10_000),
  ACS_MAX_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
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
  AUTH_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  AUTH_ALLOW_DEV_TOKENS: bool.optional(),
  AUTH_JWKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  AUTH_JWKS_COOLDOWN_SECONDS: z.coerce.number().int().min(1).max(3_600).default(30),
  AUTH_MAX_TOKEN_BYTES: z.coerce.number().int().min(512).max(16_384).default(8_192),
  POLICY_FILE: z.string().min(1).optional(),

  ...bucketSettings,
  // Namespaces the rate-limit keys in a shared Redis (e.g. staging and production on one server).
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
  MAX_QUERY_DEPTH: positiveInt.default(10),
  MAX_ALIASES: positiveInt.default(15),
  MAX_ROOT_FIELDS: positiveInt.default(5),
  MAX_TOKENS: positiveInt.default(2_000),
  MAX_DIRECTIVES: positiveInt.default(10),
  MAX_COST: positiveInt.default(5_000),
  MAX_REQUEST_BYTES: positiveInt.default(100_000),
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

export type AcsSettings =
  | { kind: "emulator" }
  | { kind: "connectionString"; connectionString: string }
  | { kind: "entra"; endpoint: string };

export interface AppConfig {
  nodeEnv: "development" | "production" | "test";
  isProduction: boolean;
  host: string;
  port: number;
  /** Where embedded state lives: the database, the emulator's journal, the development signing key. */
  dataDir: string;
  logLevel: string;
  acs: AcsSettings & {
    timeoutMs: number;
    maxRetries: number;
    /** Creates carry a customId, so a repeat returns the same identity (docs/consistency.md). */
    customId: boolean;
  };
  database:
    | { kind: "embedded"; dir: string }
    | { kind: "postgres"; url: string; poolSize: number; statementTimeoutMs?: number };
  /** Recovery of what failures left half done (docs/consistency.md). */
  consistency: { reconcileIntervalSeconds: number; ownerCreateWaitMs: number };
  redisUrl: string | undefined;
  auth: {
    issuer: string | undefined;
    jwksUrl: string | undefined;
    audience: string;
    algorithms: string[];
    rolesClaim: string;
    clockToleranceSeconds: number;
    /** Accept tokens from the local development issuer (never in production). */
    devTokens: boolean;
    /** The longest wait for the issuer's JWKS (or discovery document) before failing closed. */
    jwksTimeoutMs: number;
    /** At most one JWKS refetch per this many seconds, however many unknown `kid`s arrive. */
    jwksCooldownSeconds: number;
    /** Longer bearer tokens are refused before they are parsed. */
    maxTokenBytes: number;
  };
  policyFile: string | undefined;
  /** Per caller, per minute (a role's own limits in the policy file replace these). */
  rateLimits: Record<RateBucket, number>;
  /** Per client address, per minute. */
  rateLimitsPerAddress: Record<RateBucket, number>;
  /** For the whole service (all replicas sharing Redis), per 30 seconds: below ACS's own quotas. */
  acsQuota: Record<RateBucket, number>;
  /** Namespace of the rate-limit counters (Redis keys). */
  rateLimitKeyPrefix: string;
  http: {
    corsOrigins: string[];
    corsAllowStudio: boolean;
    introspection: boolean;
    /** "Did you mean ...?" in validation errors: they reveal the schema. */
    fieldSuggestions: boolean;
    maxQueryDepth: number;
    maxAliases: number;
    /** Root fields per operation. */
    maxRootFields: number;
    maxTokens: number;
    maxDirectives: number;
    maxCost: number;
    maxRequestBytes: number;
    /** Whole request (headers and body) must arrive within this; slow clients are cut off. */
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    /** Express's `trust proxy`: which X-Forwarded-For hops name the client address. */
    trustProxy: boolean | number | string[];
  };
  apollo: { key: string; graphRef: string } | undefined;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The audience of tokens from the development issuer. */
export const DEV_AUDIENCE = "acs-identity-graph";

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings count as unset, so `FOO= npm start` behaves like not setting FOO.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === "production";
  const fail = (setting: string, why: string): never => {
    throw new ConfigError(`Invalid configuration:\n  ${setting}: ${why}`);
  };

  if (e.ACS_CONNECTION_STRING && e.ACS_ENDPOINT) {
    fail("ACS_ENDPOINT", "set either ACS_CONNECTION_STRING or ACS_ENDPOINT (with Entra ID), not both");
  }
  const realIssuer = Boolean(e.AUTH_ISSUER || e.AUTH_JWKS_URL);
  if (realIssuer && !e.AUTH_AUDIENCE) {
    fail("AUTH_AUDIENCE", "is required with AUTH_ISSUER or AUTH_JWKS_URL");
  }
  if (isProduction && !realIssuer) {
    fail("AUTH_ISSUER", "NODE_ENV=production needs a real token issuer: set AUTH_ISSUER or AUTH_JWKS_URL");
  }
  if (isProduction && e.AUTH_ALLOW_DEV_TOKENS) {
    fail("AUTH_ALLOW_DEV_TOKENS", "development tokens are refused when NODE_ENV=production");
  }
  if (isProduction && e.AUTH_JWKS_URL && !e.AUTH_ISSUER) {
    // Keys are often shared (one JWKS for every tenant of a provider): only `iss` says whose token it is.
    fail(
      "AUTH_ISSUER",
      "NODE_ENV=production with AUTH_JWKS_URL needs AUTH_ISSUER too, to pin the token issuer",
    );
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    fail(
      "HTTP_HEADERS_TIMEOUT_MS",
      "must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)",
    );
  }
  if (e.APOLLO_KEY && !e.APOLLO_GRAPH_REF) fail("APOLLO_GRAPH_REF", "is required with APOLLO_KEY");

  const dataDir = path.resolve(e.DATA_DIR);
  const acs: AcsSettings = e.ACS_CONNECTION_STRING
    ? { kind: "connectionString", connectionString: e.ACS_CONNECTION_STRING }
    : e.ACS_ENDPOINT
      ? { kind: "entra", endpoint: e.ACS_ENDPOINT }
      : { kind: "emulator" };

  return {
    nodeEnv: e.NODE_ENV,
    isProduction,
    host: e.HOST,
    port: e.PORT,
    dataDir,
    logLevel: e.LOG_LEVEL,
    acs: {
      ...acs,
      timeoutMs: e.ACS_TIMEOUT_MS,
      maxRetries: e.ACS_MAX_RETRIES,
      customId: e.ACS_CUSTOM_ID ?? acs.kind === "emulator",
    },
    database: e.DATABASE_URL
      ? {
          kind: "postgres",
          url: e.DATABASE_URL,
          poolSize: e.DATABASE_POOL_SIZE,
          statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
        }
      : { kind: "embedded", dir: path.join(dataDir, "db") },
    consistency: {
      reconcileIntervalSeconds: e.RECONCILE_INTERVAL_SECONDS,
      ownerCreateWaitMs: e.OWNER_CREATE_WAIT_MS,
    },
    redisUrl: e.REDIS_URL,
    auth: {
      issuer: e.AUTH_ISSUER,
      jwksUrl: e.AUTH_JWKS_URL,
      audience: e.AUTH_AUDIENCE ?? DEV_AUDIENCE,
      algorithms: e.AUTH_ALGORITHMS,
      rolesClaim: e.AUTH_ROLES_CLAIM,
      clockToleranceSeconds: e.AUTH_CLOCK_TOLERANCE_SECONDS,
      devTokens: !isProduction && (e.AUTH_ALLOW_DEV_TOKENS ?? !realIssuer),
      jwksTimeoutMs: e.AUTH_JWKS_TIMEOUT_MS,
      jwksCooldownSeconds: e.AUTH_JWKS_COOLDOWN_SECONDS,
      maxTokenBytes: e.AUTH_MAX_TOKEN_BYTES,
    },
    policyFile: e.POLICY_FILE,
    rateLimits: perBucket(e, bucketSetting.perMinute),
    rateLimitsPerAddress: perBucket(e, bucketSetting.perAddress),
    acsQuota: perBucket(e, bucketSetting.acsQuota),
    rateLimitKeyPrefix: e.RATE_LIMIT_KEY_PREFIX,
    http: {
      corsOrigins: e.CORS_ORIGINS,
      corsAllowStudio: e.CORS_ALLOW_STUDIO ?? !isProduction,
      introspection: e.INTROSPECTION ?? !isProduction,
      fieldSuggestions: e.FIELD_SUGGESTIONS ?? !isProduction,
      maxQueryDepth: e.MAX_QUERY_DEPTH,
      maxAliases: e.MAX_ALIASES,
      maxRootFields: e.MAX_ROOT_FIELDS,
      maxTokens: e.MAX_TOKENS,
      maxDirectives: e.MAX_DIRECTIVES,
      maxCost: e.MAX_COST,
      maxRequestBytes: e.MAX_REQUEST_BYTES,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      trustProxy: e.TRUST_PROXY,
    },
    apollo:
      e.APOLLO_KEY && e.APOLLO_GRAPH_REF ? { key: e.APOLLO_KEY, graphRef: e.APOLLO_GRAPH_REF } : undefined,
  };
}
