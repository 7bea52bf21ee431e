import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JSONWebKeySet } from "jose";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DEV_AUDIENCE } from "../config";

export const DEV_ISSUER = "urn:acs-identity-graph:dev";
const ALG = "ES256";

/** The local token issuer of the embedded default: its key lives in the data folder. Never in production. */
export interface DevIssuer {
  issuer: string;
  audience: string;
  algorithm: string;
  publicJwks: JSONWebKeySet;
  /** `claims` adds claims of its own (e.g. an Entra ID `oid`); it cannot replace the registered ones. */
  sign(claims: {
    sub: string;
    roles: string[];
    ttlSeconds?: number;
    claims?: Record<string, unknown>;
  }): Promise<string>;
}

export function assertDevTokensAllowed(nodeEnv: string): void {
  if (nodeEnv === "production") throw new Error("Development tokens are refused when NODE_ENV=production.");
}

/** Loads the development signing key from `dataDir`, creating it on first use (file mode 0600). */
export async function loadOrCreateDevIssuer(dataDir: string): Promise<DevIssuer> {
  const file = path.join(dataDir, "dev-issuer.json");
  let privateJwk = readKey(file);
  if (!privateJwk) {
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const created: JWK = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: ALG };
    mkdirSync(dataDir, { recursive: true });
    // Write then rename, so a concurrent reader sees either no file or a whole one; first writer wins.
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(temp, JSON.stringify(created), { mode: 0o600 });
    renameSync(temp, file);
    privateJwk = readKey(file) ?? created;
  }
  const { d: _private, ...publicJwk } = privateJwk;
  const key = await importJWK(privateJwk, ALG);
  return {
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    algorithm: ALG,
    publicJwks: { keys: [publicJwk] },
    async sign({ sub, roles, ttlSeconds = 3600, claims = {} }) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ ...claims, roles })
        .setProtectedHeader({ alg: ALG, kid: privateJwk!.kid, typ: "JWT" })
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setSubject(sub)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(key);
    },
  };
}

function readKey(file: string): JWK | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as JWK;
  } catch {
    return undefined;
  }
}
