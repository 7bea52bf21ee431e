import {
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from "jose";

/** Where Teams users' Entra ID tokens come from (tests use a local issuer). */
export interface TeamsSettings {
  issuer: string;
  jwksUrl?: string;
  jwks?: JSONWebKeySet;
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
  const keys: JWTVerifyGetKey = settings.jwks
    ? createLocalJWKSet(settings.jwks)
    : createRemoteJWKSet(
        new URL(settings.jwksUrl ?? `${settings.issuer.replace(/\/$/, "")}/discovery/v2.0/keys`),
      );
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ["exp", "oid"],
      });
      const appId = (payload.appid ?? payload.azp) as unknown;
      if (typeof payload.oid !== "string" || typeof appId !== "string") return null;
      return { oid: payload.oid, appId, expiresAtMs: payload.exp! * 1000 };
    } catch {
      return null;
    }
  };
}

export const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
