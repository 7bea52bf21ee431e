import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import type { AppConfig } from "../config";
import { unauthenticated } from "../errors";
import type { DevIssuer } from "./dev-issuer";
import { ANONYMOUS, type Principal } from "./principal";

type AuthSettings = AppConfig["auth"];

export interface BearerVerifier {
  /** No header: the anonymous principal. A bad token: AppError UNAUTHENTICATED. */
  authenticate(authorizationHeader: string | undefined): Promise<Principal>;
}

interface TrustedIssuer {
  issuer: string | undefined;
  audience: string;
  algorithms: string[];
  keys: () => Promise<JWTVerifyGetKey>;
}

export function createBearerVerifier(settings: AuthSettings, devIssuer?: DevIssuer): BearerVerifier {
  const issuers: TrustedIssuer[] = [];
  if (settings.issuer) {
    issuers.push({
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: settings.algorithms,
      keys: discoveredKeys(settings.issuer),
    });
  } else if (settings.jwksUrl) {
    const keys = createRemoteJWKSet(new URL(settings.jwksUrl));
    issuers.push({
      issuer: undefined,
      audience: settings.audience,
      algorithms: settings.algorithms,
      keys: async () => keys,
    });
  }
  if (settings.devTokens && devIssuer) {
    const keys = createLocalJWKSet(devIssuer.publicJwks);
    issuers.push({
      issuer: devIssuer.issuer,
      audience: devIssuer.audience,
      algorithms: [devIssuer.algorithm],
      keys: async () => keys,
    });
  }

  return {
    async authenticate(header) {
      if (header === undefined) return ANONYMOUS;
      const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(header.trim());
      if (!match) throw unauthenticated("The Authorization header must be `Bearer <JWT>`.");
      const token = match[1];
      let claimedIssuer: string | undefined;
      try {
        claimedIssuer = decodeJwt(token).iss;
      } catch {
        throw unauthenticated("The bearer token is not a valid JWT.");
      }
      // Pick the trusted issuer the token names; a JWKS-only configuration accepts any `iss` (it must exist).
      const trusted =
        issuers.find((candidate) => candidate.issuer === claimedIssuer) ??
        issuers.find((candidate) => candidate.issuer === undefined);
      if (!trusted) throw unauthenticated("The bearer token's issuer is not trusted.");
      // Outside the try: an issuer we cannot reach is our failure (INTERNAL), not the caller's.
      const keys = await trusted.keys();
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: trusted.issuer,
          audience: trusted.audience,
          algorithms: trusted.algorithms,
          clockTolerance: settings.clockToleranceSeconds,
          requiredClaims: ["exp", "iss", "aud", "sub"],
        }));
      } catch (error) {
        const code = (error as { code?: string }).code;
        // A key server that is down or slow is not the caller's fault: let it surface as INTERNAL.
        if (!code?.startsWith("ERR_J") || code === "ERR_JWKS_TIMEOUT") throw error;
        throw unauthenticated(
          code === "ERR_JWT_EXPIRED" ? "The bearer token has expired." : "The bearer token is not valid.",
        );
      }
      if (typeof payload.sub !== "string" || payload.sub.length === 0)
        throw unauthenticated("The bearer token has no subject.");
      return { subject: payload.sub, roles: readRoles(payload, settings.rolesClaim) };
    },
  };
}

/** OIDC discovery, done lazily and once: the discovery document must name the configured issuer. */
function discoveredKeys(issuer: string): () => Promise<JWTVerifyGetKey> {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  return () => {
    keys ??= (async () => {
      const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`OIDC discovery at ${url} answered ${response.status}`);
      const document = (await response.json()) as { issuer?: string; jwks_uri?: string };
      if (document.issuer !== issuer) throw new Error(`OIDC discovery at ${url} names another issuer`);
      if (!document.jwks_uri) throw new Error(`OIDC discovery at ${url} has no jwks_uri`);
      return createRemoteJWKSet(new URL(document.jwks_uri));
    })().catch((error) => {
      keys = undefined; // try again on the next request
      throw error;
    });
    return keys;
  };
}

/** Roles from a claim name (tried as is, e.g. a URL) or a dot path; an array or a space/comma list. */
export function readRoles(payload: JWTPayload, claim: string): string[] {
  let value: unknown = payload[claim];
  if (value === undefined && claim.includes(".")) {
    value = claim
      .split(".")
      .reduce<unknown>(
        (node, key) =>
          node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined,
        payload,
      );
  }
  if (typeof value === "string") return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value))
    return value.filter((role): role is string => typeof role === "string" && role.length > 0);
  return [];
}
