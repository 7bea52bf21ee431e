// Every setting, read from the environment once and validated into one typed object.
// A bad setting stops start-up with a message naming it. No other module reads process.env.
// This file maps the parsed environment into AppConfig; the variables are in env-schema.ts, the types in
// app-config.ts, the rules between settings in cross-checks.ts. Importers use this file only.
import path from "node:path";
import { ACS_DEFAULT_QUOTA_PER_30S, RATE_BUCKETS } from "../identity/model";
import type { AcsSettings, AppConfig } from "./app-config";
import { ConfigError } from "./config-error";
import { crossSettingProblems } from "./cross-checks";
import { bucketSetting, EnvSchema, perBucket } from "./env-schema";

export type { AcsSettings, AppConfig, AzureCredentialSettings } from "./app-config";
export { ConfigError } from "./config-error";

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
