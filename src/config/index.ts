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
const bucketSetting = {
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

export type AcsSettings =
  | { kind: "emulator" }
  | { kind: "connectionString"; connectionString: string }
  | { kind: "entra"; endpoint: string; credential: AzureCredentialSettings };

/** The @azure/identity credential for ACS_ENDPOINT (src/acs/credential.ts builds it). */
export interface AzureCredentialSettings {
  kind: "default" | "managed-identity" | "workload-identity" | "client-secret";
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  federatedTokenFile?: string;
  /** Entra ID's host, or a stand-in OpenID provider's; unset: the public cloud's. */
  authorityHost?: string;
  caFile?: string;
}

export interface AppConfig {
  nodeEnv: "development" | "production" | "test";
  isProduction: boolean;
  host: string;
  port: number;
  /** The embedded emulator's Teams user token issuer (an Entra ID stand-in), when set. */
  emulatorTeams: { issuer: string; jwksUrl: string | undefined } | undefined;
  /** Where embedded state lives: the database, the emulator's journal, the development signing key. */
  dataDir: string;
  logLevel: string;
  acs: AcsSettings & {
    timeoutMs: number;
    maxRetries: number;
    caFile: string | undefined;
    /** ACS calls at once from this process, and how many more may wait for a slot. */
    maxConcurrency: number;
    maxQueue: number;
    /** Consecutive ACS outages that open the circuit, and how long it stays open before a probe. */
    breakerFailures: number;
    breakerOpenSeconds: number;
    /** Creates carry a customId, so a repeat returns the same identity (docs/consistency.md). */
    customId: boolean;
  };
  /** SIGTERM: how long readiness fails before new requests are refused, then the in-flight limit. */
  drain: { graceMs: number; limitMs: number };
  /** Where /metrics, /readyz/detail and the ops routes are served; undefined: on the public port. */
  ops: { host: string; port: number } | undefined;
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
    objectIdClaim: string;
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
  /** Quota-aware token reuse, when on. */
  tokenReuse: { keys: Buffer[]; maxAgeMs: number; minRemainingMs: number } | undefined;
  /** Identical denials within this many seconds are one audit event with a count. */
  auditDenialWindowSeconds: number;
  /** Namespace of the rate-limit counters (Redis keys). */
  rateLimitKeyPrefix: string;
  http: {
    corsOrigins: string[];
    corsAllowStudio: boolean;
    introspection: boolean;
    /** The manifest of the only operations to run (trusted documents), when set. */
    trustedDocumentsFile: string | undefined;
    /** "Did you mean ...?" in validation errors: they reveal the schema. */
    fieldSuggestions: boolean;
    maxQueryDepth: number;
    maxAliases: number;
    /** Root fields per operation. */
    maxRootFields: number;
    maxTokens: number;
    maxDirectives: number;
    maxCost: number;
    /** Most `_entities` representations per request. */
    maxEntityRepresentations: number;
    /** Shared with the router; without it no client gets inline traces. */
    federationTraceSecret: string | undefined;
    maxRequestBytes: number;
    /** Bodies of callers without a bearer token (at most maxRequestBytes). */
    anonymousMaxRequestBytes: number;
    /** Whole request (headers and body) must arrive within this; slow clients are cut off. */
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    /** Express's `trust proxy`: which X-Forwarded-For hops name the client address. */
    trustProxy: boolean | number | string[];
  };
  apollo: { key: string; graphRef: string } | undefined;
  /** Accepted settings worth an operator's look, logged at start (e.g. a quota above ACS's default). */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * The rules between settings, as [setting, why] pairs. `raw` holds the set values as strings; `parsed`
 * is there when every value parsed (the numeric rules need it).
 */
function crossSettingProblems(
  raw: Record<string, string | undefined>,
  parsed: z.infer<typeof EnvSchema> | undefined,
): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const isProduction = raw.NODE_ENV === "production";
  const has = (name: string) => raw[name] !== undefined;
  if (has("ACS_CONNECTION_STRING") && has("ACS_ENDPOINT"))
    problems.push([
      "ACS_ENDPOINT",
      "set either ACS_CONNECTION_STRING or ACS_ENDPOINT (with Entra ID), not both",
    ]);
  if (isProduction && !has("ACS_CONNECTION_STRING") && !has("ACS_ENDPOINT"))
    problems.push([
      "ACS_ENDPOINT",
      "NODE_ENV=production needs a real ACS resource, never the embedded emulator: set ACS_ENDPOINT (with Entra ID, preferred) or ACS_CONNECTION_STRING",
    ]);
  const realIssuer = has("AUTH_ISSUER") || has("AUTH_JWKS_URL");
  if (isProduction && !has("AUTH_ISSUER"))
    // JWKS alone is refused in production too (keys are often shared: only `iss` says whose token it
    // is), so the message names the settings production needs, not one that will be refused next.
    problems.push([
      "AUTH_ISSUER",
      has("AUTH_JWKS_URL")
        ? "NODE_ENV=production with AUTH_JWKS_URL needs AUTH_ISSUER too, to pin the token issuer"
        : "NODE_ENV=production needs a real token issuer: set AUTH_ISSUER and AUTH_AUDIENCE (AUTH_JWKS_URL only if the issuer publishes no discovery document)",
    ]);
  if ((realIssuer || isProduction) && !has("AUTH_AUDIENCE"))
    problems.push([
      "AUTH_AUDIENCE",
      isProduction
        ? "NODE_ENV=production needs the audience your issuer puts in tokens for this API"
        : "is required with AUTH_ISSUER or AUTH_JWKS_URL",
    ]);
  if (
    isProduction &&
    raw.AUTH_ALLOW_DEV_TOKENS !== undefined &&
    ["true", "1"].includes(raw.AUTH_ALLOW_DEV_TOKENS)
  )
    problems.push(["AUTH_ALLOW_DEV_TOKENS", "development tokens are refused when NODE_ENV=production"]);
  if (parsed && parsed.HTTP_HEADERS_TIMEOUT_MS > parsed.HTTP_REQUEST_TIMEOUT_MS)
    problems.push([
      "HTTP_HEADERS_TIMEOUT_MS",
      "must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)",
    ]);
  if (has("APOLLO_KEY") && !has("APOLLO_GRAPH_REF"))
    problems.push(["APOLLO_GRAPH_REF", "is required with APOLLO_KEY"]);
  if (has("ACS_ENDPOINT") && !raw.ACS_ENDPOINT!.startsWith("https:"))
    problems.push(["ACS_ENDPOINT", "must be https://: the SDK sends Entra ID tokens only over TLS"]);
  const needs: Record<string, string[]> = {
    "client-secret": ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"],
    "workload-identity": ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"],
  };
  for (const name of (has("ACS_ENDPOINT") && needs[raw.ACS_CREDENTIAL ?? ""]) || [])
    if (!has(name)) problems.push([name, `is required with ACS_CREDENTIAL=${raw.ACS_CREDENTIAL}`]);
  const reuseKeys = (raw.TOKEN_REUSE_KEYS ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter(Boolean);
  if (["true", "1"].includes(raw.TOKEN_REUSE ?? "") && reuseKeys.length === 0)
    problems.push([
      "TOKEN_REUSE_KEYS",
      "TOKEN_REUSE=true needs at least one key: kept tokens are encrypted at rest",
    ]);
  if (reuseKeys.some((key) => Buffer.from(key, "base64").length !== 32))
    problems.push([
      "TOKEN_REUSE_KEYS",
      "each key must be 32 random bytes, base64 encoded (openssl rand -base64 32)",
    ]);
  return problems;
}

/** The audience of tokens from the development issuer. */
export const DEV_AUDIENCE = "acs-identity-graph";

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings count as unset, so `FOO= npm start` behaves like not setting FOO.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  // Every problem is reported at once, so one start names everything left to fix. The rules between
  // settings read the raw values, so they are checked even when some value did not parse.
  const parsed = EnvSchema.safeParse(present);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
  for (const [setting, why] of crossSettingProblems(present, parsed.success ? parsed.data : undefined))
    problems.push(`  ${setting}: ${why}`);
  if (!parsed.success || problems.length)
    throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}`);
  const e = parsed.data;
  const isProduction = e.NODE_ENV === "production";
  const realIssuer = Boolean(e.AUTH_ISSUER || e.AUTH_JWKS_URL);
  const reuseKeys = (e.TOKEN_REUSE_KEYS ?? []).map((key) => Buffer.from(key, "base64"));
  const acsQuota = perBucket(e, bucketSetting.acsQuota);
  const warnings = RATE_BUCKETS.filter((bucket) => acsQuota[bucket] > ACS_DEFAULT_QUOTA_PER_30S[bucket]).map(
    (bucket) =>
      `${bucketSetting.acsQuota(bucket)}=${acsQuota[bucket]} is above ACS's default quota of ` +
      `${ACS_DEFAULT_QUOTA_PER_30S[bucket]} per 30 seconds: right only if Microsoft raised this resource's quota ` +
      `(or for the emulator, which has none); otherwise ACS will throttle every caller.`,
  );

  const dataDir = path.resolve(e.DATA_DIR);
  const acs: AcsSettings = e.ACS_CONNECTION_STRING
    ? { kind: "connectionString", connectionString: e.ACS_CONNECTION_STRING }
    : e.ACS_ENDPOINT
      ? {
          kind: "entra",
          endpoint: e.ACS_ENDPOINT,
          credential: {
            kind: e.ACS_CREDENTIAL,
            tenantId: e.AZURE_TENANT_ID,
            clientId: e.AZURE_CLIENT_ID,
            clientSecret: e.AZURE_CLIENT_SECRET,
            federatedTokenFile: e.AZURE_FEDERATED_TOKEN_FILE,
            authorityHost: e.AZURE_AUTHORITY_HOST,
            caFile: e.ACS_CA_FILE,
          },
        }
      : { kind: "emulator" };

  return {
    nodeEnv: e.NODE_ENV,
    isProduction,
    host: e.HOST,
    port: e.PORT,
    dataDir,
    emulatorTeams: e.EMULATOR_TEAMS_ISSUER
      ? { issuer: e.EMULATOR_TEAMS_ISSUER, jwksUrl: e.EMULATOR_TEAMS_JWKS_URL }
      : undefined,
    logLevel: e.LOG_LEVEL,
    acs: {
      ...acs,
      timeoutMs: e.ACS_TIMEOUT_MS,
      maxRetries: e.ACS_MAX_RETRIES,
      caFile: e.ACS_CA_FILE,
      maxConcurrency: e.ACS_MAX_CONCURRENCY,
      maxQueue: e.ACS_MAX_QUEUE,
      breakerFailures: e.ACS_BREAKER_FAILURES,
      breakerOpenSeconds: e.ACS_BREAKER_OPEN_SECONDS,
      customId: e.ACS_CUSTOM_ID ?? acs.kind === "emulator",
    },
    drain: { graceMs: e.DRAIN_GRACE_MS, limitMs: e.DRAIN_LIMIT_MS },
    ops: e.OPS_PORT === undefined ? undefined : { host: e.OPS_HOST ?? e.HOST, port: e.OPS_PORT },
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
      objectIdClaim: e.AUTH_OBJECT_ID_CLAIM,
      clockToleranceSeconds: e.AUTH_CLOCK_TOLERANCE_SECONDS,
      devTokens: !isProduction && (e.AUTH_ALLOW_DEV_TOKENS ?? !realIssuer),
      jwksTimeoutMs: e.AUTH_JWKS_TIMEOUT_MS,
      jwksCooldownSeconds: e.AUTH_JWKS_COOLDOWN_SECONDS,
      maxTokenBytes: e.AUTH_MAX_TOKEN_BYTES,
    },
    policyFile: e.POLICY_FILE,
    rateLimits: perBucket(e, bucketSetting.perMinute),
    rateLimitsPerAddress: perBucket(e, bucketSetting.perAddress),
    acsQuota,
    tokenReuse: e.TOKEN_REUSE
      ? {
          keys: reuseKeys,
          maxAgeMs: e.TOKEN_REUSE_MAX_AGE_SECONDS * 1000,
          minRemainingMs: e.TOKEN_REUSE_MIN_REMAINING_SECONDS * 1000,
        }
      : undefined,
    rateLimitKeyPrefix: e.RATE_LIMIT_KEY_PREFIX,
    auditDenialWindowSeconds: e.AUDIT_DENIAL_WINDOW_SECONDS,
    http: {
      corsOrigins: e.CORS_ORIGINS,
      corsAllowStudio: e.CORS_ALLOW_STUDIO ?? !isProduction,
      introspection: e.INTROSPECTION ?? !isProduction,
      fieldSuggestions: e.FIELD_SUGGESTIONS ?? !isProduction,
      trustedDocumentsFile: e.TRUSTED_DOCUMENTS_FILE,
      maxQueryDepth: e.MAX_QUERY_DEPTH,
      maxAliases: e.MAX_ALIASES,
      maxRootFields: e.MAX_ROOT_FIELDS,
      maxTokens: e.MAX_TOKENS,
      maxDirectives: e.MAX_DIRECTIVES,
      maxCost: e.MAX_COST,
      maxEntityRepresentations: e.MAX_ENTITY_REPRESENTATIONS,
      federationTraceSecret: e.FEDERATION_TRACE_SECRET,
      maxRequestBytes: e.MAX_REQUEST_BYTES,
      anonymousMaxRequestBytes: Math.min(e.ANONYMOUS_MAX_REQUEST_BYTES, e.MAX_REQUEST_BYTES),
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      trustProxy: e.TRUST_PROXY,
    },
    apollo:
      e.APOLLO_KEY && e.APOLLO_GRAPH_REF ? { key: e.APOLLO_KEY, graphRef: e.APOLLO_GRAPH_REF } : undefined,
    warnings,
  };
}
