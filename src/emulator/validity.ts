import type { EmulatorState } from "./state";
import type { TokenSigner } from "./tokens";

/** The answer of `POST /_emulator/tokens/validate`. */
export interface TokenValidity {
  valid: boolean;
  reason?: "malformed" | "bad_signature" | "expired" | "revoked" | "identity_deleted" | "identity_unknown";
  /** The ACS identity (`8:acs:...`) or Teams user (`8:orgid:...`) the token was issued to. */
  identity?: string;
  scopes?: string[];
  expiresOn?: string;
}

/**
 * Would ACS accept this token now? Signature first (nothing else in a forged token is believable),
 * then the identity's fate (unknown, deleted, revoked), then expiry.
 */
export async function validateToken(
  deps: { signer: TokenSigner; state: EmulatorState },
  token: string,
  now = Date.now(),
): Promise<TokenValidity> {
  if (token.split(".").length !== 3) return { valid: false, reason: "malformed" };
  const claims = await deps.signer.verify(token);
  if (!claims) return { valid: false, reason: "bad_signature" };
  const identity = typeof claims.skypeid === "string" ? `8:${claims.skypeid}` : undefined;
  const facts = {
    identity,
    scopes: typeof claims.acsScope === "string" && claims.acsScope ? claims.acsScope.split(",") : [],
    expiresOn: claims.exp ? new Date(claims.exp * 1000).toISOString() : undefined,
  };
  // Teams users' tokens (orgid:) belong to no identity the emulator keeps.
  if (identity?.startsWith("8:acs:")) {
    const known = deps.state.identities.get(identity);
    if (!known) return { valid: false, reason: "identity_unknown", ...facts };
    if (known.deletedAtMs !== undefined) return { valid: false, reason: "identity_deleted", ...facts };
    // `iat` has whole seconds; emu_iat_ms tells apart tokens minted in the revoke's second.
    const issuedAtMs = typeof claims.emu_iat_ms === "number" ? claims.emu_iat_ms : (claims.iat ?? 0) * 1000;
    if (known.revokedAtMs !== undefined && issuedAtMs <= known.revokedAtMs)
      return { valid: false, reason: "revoked", ...facts };
  }
  if (!claims.exp || claims.exp * 1000 <= now) return { valid: false, reason: "expired", ...facts };
  return { valid: true, ...facts };
}
