// Bearer JWT to Principal. Every refusal is UNAUTHENTICATED with a message that never repeats the
// token or any part of it; an issuer whose keys cannot be fetched fails closed the same way.
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from "jose";
import type { AppConfig } from "../config";
import { AppError, ErrorCode, unauthenticated } from "../errors";
import type { DevIssuer } from "./dev-issuer";
import { subjectProblem } from "../identity/validation";
import { ANONYMOUS, type Principal } from "./principal";
import { discoveredJwksUrl, KeySourceUnavailable, RemoteKeySet, type RemoteKeyOptions } from "./remote-keys";

type AuthSettings = AppConfig["auth"];

export interface BearerVerifier {
  /** No header: the anonymous principal. A bad token: AppError UNAUTHENTICATED. */
  authenticate(authorizationHeader: string | undefined): Promise<Principal>;
  /** Changes whenever the issuers' keys are fetched again: earlier verifications may be stale. */
  keysGeneration?(): number;
}

interface TrustedIssuer {
  issuer: string | undefined;
  audience: string;
  algorithms: string[];
  keys: JWTVerifyGetKey;
}

// The scheme is case-insensitive (RFC 7235 section 2.1), so `bearer` is accepted; the rest is strict:
// one space, then exactly three base64url parts, the last may be empty only to be refused later.
const BEARER = /^bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;
const SCHEME_AND_SPACE = "Bearer ".length;
// Header parameters that tell the verifier where to find a key, or hand it one: trusting any of them
// lets the token's author choose the key that verifies it, so their mere presence refuses the token.
const KEY_BEARING_HEADERS = ["jku", "x5u", "jwk", "x5c"] as const;
// Asymmetric algorithms only, whatever the settings hold: never `none`, never an HMAC whose secret
// could be the issuer's public key (algorithm confusion).
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;
// jose's default; the issuer's keys are fetched again after this long even if no unknown kid appears.
const KEYS_MAX_AGE_MS = 10 * 60 * 1000;

export const RETRY_LATER = "The bearer token could not be verified right now; try again.";

/** True when a refusal was the issuer's key endpoint failing (worth an operator's look), not the token. */
export const isKeySourceOutage = (error: unknown): boolean =>
  error instanceof AppError && error.cause instanceof KeySourceUnavailable;

export function createBearerVerifier(settings: AuthSettings, devIssuer?: DevIssuer): BearerVerifier {
  const algorithms = settings.algorithms.filter((alg) => ASYMMETRIC.test(alg));
  if (algorithms.length === 0) throw new Error("AUTH_ALGORITHMS names no asymmetric signing algorithm");
  const remote: RemoteKeyOptions = {
    timeoutMs: settings.jwksTimeoutMs,
    cooldownMs: settings.jwksCooldownSeconds * 1000,
    maxAgeMs: Math.max(KEYS_MAX_AGE_MS, settings.jwksCooldownSeconds * 1000),
  };
  const issuers: TrustedIssuer[] = [];
  const keySets: RemoteKeySet[] = [];
  if (settings.issuer) {
    // With AUTH_JWKS_URL too, the issuer is pinned and its keys come from that URL (no discovery).
    const jwksUrl = settings.jwksUrl;
    const source = jwksUrl ? async () => jwksUrl : discoveredJwksUrl(settings.issuer, remote);
    const keys = new RemoteKeySet(source, remote);
    keySets.push(keys);
    issuers.push({ issuer: settings.issuer, audience: settings.audience, algorithms, keys: keys.getKey });
  } else if (settings.jwksUrl) {
    const url = settings.jwksUrl;
    const keys = new RemoteKeySet(async () => url, remote);
    keySets.push(keys);
    issuers.push({ issuer: undefined, audience: settings.audience, algorithms, keys: keys.getKey });
  }
  if (settings.devTokens && devIssuer) {
    issuers.push({
      issuer: devIssuer.issuer,
      audience: devIssuer.audience,
      algorithms: [devIssuer.algorithm],
      keys: createLocalJWKSet(devIssuer.publicJwks),
    });
  }

  return {
    keysGeneration: () => keySets.reduce((sum, keys) => sum + keys.generation, 0),
    async authenticate(authorization) {
      if (authorization === undefined) return ANONYMOUS;
      // Before any parsing: no issuer needs more, and a huge value would cost regex and base64 work.
      if (authorization.length > SCHEME_AND_SPACE + settings.maxTokenBytes)
        throw unauthenticated(`The bearer token is longer than ${settings.maxTokenBytes} bytes.`);
      const match = BEARER.exec(authorization);
      if (!match) throw unauthenticated("The Authorization header must be `Bearer <JWT>`.");
      const token = match[1];

      let header: ProtectedHeaderParameters;
      let claimedIssuer: string | undefined;
      try {
        header = decodeProtectedHeader(token);
        claimedIssuer = decodeJwt(token).iss;
      } catch {
        throw unauthenticated("The bearer token is not a valid JWT.");
      }
      if (KEY_BEARING_HEADERS.some((name) => Object.hasOwn(header, name)))
        throw unauthenticated("The bearer token names its own key or key location (jku, x5u, jwk, x5c).");
      // No extension is understood here, so any critical one must refuse the token (RFC 7515 4.1.11).
      if (Object.hasOwn(header, "crit"))
        throw unauthenticated("The bearer token requires header extensions (crit) that are not supported.");

      // Pick the trusted issuer the token names; a JWKS-only configuration accepts any `iss` (it must exist).
      const trusted =
        issuers.find((candidate) => candidate.issuer === claimedIssuer) ??
        issuers.find((candidate) => candidate.issuer === undefined);
      if (!trusted) throw unauthenticated("The bearer token's issuer is not trusted.");
      // Checked before any key is looked up, so a refused algorithm never costs a JWKS fetch.
      if (typeof header.alg !== "string" || !trusted.algorithms.includes(header.alg))
        throw unauthenticated("The bearer token's signing algorithm is not accepted.");

      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, trusted.keys, {
          issuer: trusted.issuer,
          audience: trusted.audience,
          algorithms: trusted.algorithms,
          clockTolerance: settings.clockToleranceSeconds,
          requiredClaims: ["exp", "iss", "aud", "sub"],
        }));
      } catch (error) {
        // The issuer's key server down, slow or confused: fail closed, and say it is worth a retry.
        if (error instanceof KeySourceUnavailable)
          throw new AppError(ErrorCode.UNAUTHENTICATED, RETRY_LATER, {}, { cause: error });
        if (!(error instanceof errors.JOSEError)) throw error;
        throw new AppError(ErrorCode.UNAUTHENTICATED, refusalMessage(error), {}, { cause: error });
      }
      if (typeof payload.sub !== "string" || payload.sub.length === 0)
        throw unauthenticated("The bearer token has no subject.");
      // The same rule as every owner and user id: a subject that could not be stored exactly as it is
      // (an unpaired surrogate becomes U+FFFD in the database) could share another user's identity.
      const problem = subjectProblem(payload.sub);
      if (problem !== undefined) throw unauthenticated(`The bearer token's subject ${problem}.`);
      const objectId = payload[settings.objectIdClaim];
      return {
        subject: payload.sub,
        roles: readRoles(payload, settings.rolesClaim),
        objectId: typeof objectId === "string" && objectId.length > 0 ? objectId : null,
      };
    },
  };
}

// Claim names jose may report; only these are named in a message, so nothing from the token is echoed.
const NAMED_CLAIMS = new Set(["iss", "aud", "sub", "exp", "nbf", "iat"]);

/** A message that helps an honest client fix its token, built from fixed text only. */
function refusalMessage(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTExpired) return "The bearer token has expired.";
  if (error instanceof errors.JWTClaimValidationFailed && NAMED_CLAIMS.has(error.claim)) {
    if (error.reason === "missing") return `The bearer token has no "${error.claim}" claim.`;
    if (error.claim === "nbf") return "The bearer token is not valid yet.";
    return `The bearer token's "${error.claim}" claim is not accepted.`;
  }
  if (error instanceof errors.JWKSNoMatchingKey) return "The bearer token's signing key is not known.";
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return "The bearer token's signature is not valid.";
  return "The bearer token is not valid.";
}

/**
 * Roles from a claim name (tried as is, e.g. a URL) or a dot path: an array of strings, or one string
 * split on ASCII spaces only, as OAuth's `scope` is (RFC 6749 section 3.3). Other whitespace and
 * commas are part of a role's name: "guest\u3000admin" is one (unknown) role, never guest and admin.
 */
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
  if (typeof value === "string") return value.split(" ").filter(Boolean);
  if (Array.isArray(value))
    return value.filter((role): role is string => typeof role === "string" && role.length > 0);
  return [];
}
