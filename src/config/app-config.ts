// The typed settings the rest of the service receives (AppConfig and its parts). Only types, so importers
// of AppConfig depend on its shape, not on how the environment is parsed.
import type { RateBucket } from "../identity/model";

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
