// Entra ID bearer tokens, as ACS accepts them from a managed identity, workload identity or service
// principal: signed by a key of the issuer's JWKS, from that issuer, for the ACS audience, unexpired.
// Tests point `issuer` at a local OpenID provider; its keys may sit behind a private CA (`ca`).
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTVerifyGetKey } from "jose";
import https from "node:https";
import { rootCertificates } from "node:tls";

/** Where the emulator's callers' Entra ID tokens come from. */
export interface EntraSettings {
  /** The `iss` the tokens must carry, e.g. https://sts.windows.net/<tenant>/ */
  issuer: string;
  /** The issuer's JWKS; without it, found through OIDC discovery on the issuer. */
  jwksUrl?: string;
  /** Accepted `aud` values; default the ACS resource, with and without its trailing slash. */
  audience?: string[];
  /** PEM certificates to trust (besides the public CAs) when fetching the issuer's documents. */
  ca?: string;
}

/** The audience of Entra ID tokens for the scope `https://communication.azure.com//.default`. */
export const ACS_AUDIENCES = ["https://communication.azure.com", "https://communication.azure.com/"];

/** Verifies an Entra ID access token for ACS; resolves to why it is refused, or null when accepted. */
export function createEntraVerifier(settings: EntraSettings): (token: string) => Promise<string | null> {
  if (!settings.issuer) throw new Error("entra.issuer is required");
  const fetchWithCa = caFetch(settings.ca);
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const resolveKeys = async (): Promise<JWTVerifyGetKey> => {
    let jwksUrl = settings.jwksUrl;
    if (!jwksUrl) {
      const url = `${settings.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
      const response = await fetchWithCa(url, { headers: new Headers(), signal: AbortSignal.timeout(5000) });
      const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
      if (!response.ok || document.issuer !== settings.issuer || typeof document.jwks_uri !== "string")
        throw new Error("the issuer's discovery document names no jwks_uri for that issuer");
      jwksUrl = document.jwks_uri;
    }
    return createRemoteJWKSet(new URL(jwksUrl), { [customFetch]: fetchWithCa });
  };
  return async (token) => {
    keys ??= resolveKeys().catch((error: unknown) => {
      keys = undefined; // look again on the next request
      throw error;
    });
    try {
      await jwtVerify(token, await keys, {
        issuer: settings.issuer,
        audience: settings.audience ?? ACS_AUDIENCES,
        algorithms: ["RS256", "RS384", "RS512", "PS256", "ES256"],
        requiredClaims: ["exp"],
      });
      return null;
    } catch (error) {
      return error instanceof Error ? error.name : "invalid token";
    }
  };
}

type Fetch = (url: string, options: { headers: Headers; signal: AbortSignal }) => Promise<Response>;

/** A GET with `ca` trusted on top of Node's public roots (global fetch cannot be given a CA). */
function caFetch(ca: string | undefined): Fetch {
  if (!ca) return (url, options) => fetch(url, options);
  const trusted = [...rootCertificates, ca];
  return (url, options) =>
    new Promise((resolve, reject) => {
      if (!url.startsWith("https:")) return void fetch(url, options).then(resolve, reject);
      const request = https.get(
        url,
        { ca: trusted, headers: Object.fromEntries(options.headers), signal: options.signal },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            resolve(new Response(Buffer.concat(chunks), { status: response.statusCode ?? 502 })),
          );
          response.on("error", reject);
        },
      );
      request.on("error", reject);
    });
}
