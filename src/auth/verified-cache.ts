// Verified bearer tokens, remembered so that a client sending the same token again (every request of
// a session) is not verified again: the signature check and claim parsing are most of a request's
// authentication cost. Only successful verifications are kept, keyed by the SHA-256 of the header
// (never the token itself), each until the token's `exp` or `maxAgeMs`, whichever is sooner: a token
// is never accepted past its expiry, and once the issuer's keys are fetched again (a new or retired
// key) every token is verified again, so a withdrawn key stops working as soon as the service knows.
import { createHash } from "node:crypto";
import { decodeJwt } from "jose";
import { LRUCache } from "lru-cache";
import type { BearerVerifier } from "./bearer";
import type { Principal } from "./principal";

export interface VerifiedCacheSettings {
  /** Most tokens kept (least recently used dropped first). */
  max: number;
  /** Longest a verification is reused, however far away the token's `exp`. */
  maxAgeMs: number;
  /** Headers longer than this are not hashed (the verifier refuses them anyway). */
  maxHeaderLength: number;
  now?: () => number;
}

export const DEFAULT_VERIFIED_CACHE = { max: 10_000, maxAgeMs: 60_000 };

interface Verified {
  principal: Principal;
  /** Epoch ms after which the entry is not used. */
  until: number;
  /** The issuers' keys it was verified with: once they are fetched again, it is verified again. */
  keys: number;
}

/** `verifier`, remembering its successes (see above). Refusals are never kept: each is checked again. */
export function withVerifiedCache(verifier: BearerVerifier, settings: VerifiedCacheSettings): BearerVerifier {
  const now = settings.now ?? Date.now;
  const entries = new LRUCache<string, Verified>({ max: settings.max });
  return {
    async authenticate(authorization) {
      if (authorization === undefined || authorization.length > settings.maxHeaderLength)
        return verifier.authenticate(authorization);
      const key = createHash("sha256").update(authorization).digest("base64");
      const hit = entries.get(key);
      const keys = verifier.keysGeneration?.() ?? 0;
      if (hit && now() < hit.until && hit.keys === keys) return hit.principal;
      const principal = await verifier.authenticate(authorization);
      if (principal.subject === null) return principal;
      // Verified, so the payload decodes and has a numeric `exp` (a required claim).
      const exp = decodeJwt(authorization.slice(authorization.indexOf(" ") + 1)).exp;
      const until = Math.min(Number(exp) * 1000, now() + settings.maxAgeMs);
      const shared = Object.freeze({ ...principal, roles: Object.freeze([...principal.roles]) as string[] });
      // The keys it was verified with: those known now (verifying may itself have fetched them anew).
      if (until > now())
        entries.set(key, { principal: shared, until, keys: verifier.keysGeneration?.() ?? 0 });
      return shared;
    },
  };
}
