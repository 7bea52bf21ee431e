import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type KeyObject,
} from "node:crypto";
import { exportJWK, jwtVerify, SignJWT, type JSONWebKeySet, type JWTPayload } from "jose";

/** The signing key, persisted as PKCS#8 PEM so tokens stay verifiable across restarts. */
export interface SigningKeyMaterial {
  kid: string;
  privateKeyPem: string;
}

export function newSigningKey(): SigningKeyMaterial {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid: randomUUID(), privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

/**
 * ACS access tokens: RS256 JWTs with the claims real ones carry (skypeid, scp, csi, iat, exp,
 * acsScope, resourceId). `iat` has whole seconds, so the issue time in milliseconds rides along in
 * `emu_iat_ms`: a token minted in the same second as a revoke must still be told apart.
 */
export class TokenSigner {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  readonly kid: string;

  constructor(material: SigningKeyMaterial) {
    this.privateKey = createPrivateKey(material.privateKeyPem);
    this.publicKey = createPublicKey(this.privateKey);
    this.kid = material.kid;
  }

  async jwks(): Promise<JSONWebKeySet> {
    return { keys: [{ ...(await exportJWK(this.publicKey)), kid: this.kid, alg: "RS256", use: "sig" }] };
  }

  async sign(claims: {
    skypeid: string;
    scopes: string[];
    resourceId: string;
    issuedAtMs: number;
    expiresAtMs: number;
    scp?: number;
  }) {
    const iat = Math.floor(claims.issuedAtMs / 1000);
    return new SignJWT({
      skypeid: claims.skypeid,
      scp: claims.scp ?? 1792,
      csi: String(iat),
      acsScope: claims.scopes.join(","),
      resourceId: claims.resourceId,
      emu_iat_ms: claims.issuedAtMs,
    } satisfies JWTPayload)
      .setProtectedHeader({ alg: "RS256", kid: this.kid, x5t: this.kid, typ: "JWT" })
      .setIssuedAt(iat)
      .setExpirationTime(Math.floor(claims.expiresAtMs / 1000))
      .sign(this.privateKey);
  }

  /** The token's claims if this emulator signed it, else null. Expiry is the caller's to judge. */
  async verify(
    token: string,
  ): Promise<(JWTPayload & { skypeid?: string; acsScope?: string; emu_iat_ms?: number }) | null> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: ["RS256"],
        currentDate: new Date(0),
      });
      return payload;
    } catch {
      return null;
    }
  }
}

/** The service's date format: 7 fractional digits and `+00:00`, e.g. 2025-04-15T15:47:23.9009063+00:00. */
export function formatAcsDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$10000+00:00");
}
