import {
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from "jose";

/** Where Teams users' Entra ID tokens come from (tests use a local issuer). */
export interface TeamsSettings {
  /** The `iss` the tokens must carry, e.g. https://login.microsoftonline.com/<tenant>/v2.0 */
  issuer: string;
  /** The issuer's JWKS; without it (and without `jwks`), found through OIDC discovery on the issuer. */
  jwksUrl?: string;
  /** The issuer's public keys inline (wins over jwksUrl). */
  jwks?: JSONWebKeySet;
  /** The `aud` the tokens must carry; not checked when absent. */
  audience?: string;
}

export interface TeamsUser {
  oid: string;
  appId: string;
  expiresAtMs: number;
}

/** Verifies a Teams user's Entra ID token; null when it is not valid (or no issuer is configured). */
export function createTeamsVerifier(
  settings: TeamsSettings | undefined,
): (token: string) => Promise<TeamsUser | null> {
  if (!settings) return async () => null;
  if (!settings.issuer) throw new Error("teams.issuer is required");
  const keys: JWTVerifyGetKey = settings.jwks
    ? createLocalJWKSet(settings.jwks)
    : settings.jwksUrl
      ? createRemoteJWKSet(new URL(settings.jwksUrl))
      : discoveredJwks(settings.issuer);
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ["exp", "oid"],
      });
      // v1 Entra tokens name the client `appid`, v2 tokens `azp`.
      const appId = (payload.appid ?? payload.azp) as unknown;
      if (typeof payload.oid !== "string" || typeof appId !== "string") return null;
      return { oid: payload.oid, appId, expiresAtMs: payload.exp! * 1000 };
    } catch {
      return null;
    }
  };
}

/** The issuer's keys via `<issuer>/.well-known/openid-configuration`, looked up on first use. */
function discoveredJwks(issuer: string): JWTVerifyGetKey {
  let remote: Promise<JWTVerifyGetKey> | undefined;
  const discover = async (): Promise<JWTVerifyGetKey> => {
    const response = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
    const config = (await response.json()) as { jwks_uri?: unknown };
    if (!response.ok || typeof config.jwks_uri !== "string") throw new Error("no jwks_uri");
    return createRemoteJWKSet(new URL(config.jwks_uri));
  };
  return async (header, token) => {
    remote ??= discover().catch((error: unknown) => {
      remote = undefined; // try again on the next token
      throw error;
    });
    return (await remote)(header, token);
  };
}

export const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
