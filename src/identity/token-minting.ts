// The mint itself, once a use case has chosen the identity and checked the caller: spend the mint
// quota, answer a kept token when token reuse is on, otherwise ask ACS; and stamp the issue time.
import type { AuditContext } from "./audit-trail";
import type { Caller } from "./caller";
import type { AcsScope, IdentityRecord } from "./model";
import type { RateLimiter } from "./ports";
import type { IdentityProvisioner, MintedToken } from "./provisioning";
import type { TokenReuse } from "./token-reuse";

export class TokenMinter {
  constructor(
    private readonly deps: {
      limiter: RateLimiter;
      provisioner: IdentityProvisioner;
      tokenReuse: TokenReuse | undefined;
      now: () => Date;
    },
  ) {}

  /**
   * Mints for an identity, spending the caller's mint limits (unless `charged` already); with token
   * reuse on, a kept token that fits is answered instead, and only a fresh one spends the service-wide
   * (ACS) budget. A fresh token is kept for the next request.
   */
  async mint(
    caller: Caller,
    record: IdentityRecord,
    scopes: AcsScope[],
    minutes: number,
    audit: AuditContext,
    { charged = false } = {},
  ): Promise<MintedToken> {
    const { limiter, provisioner, tokenReuse, now } = this.deps;
    const fresh = async () => {
      if (!charged) await limiter.consume("mint", caller, tokenReuse ? "service" : "all");
      return provisioner.mint(record, scopes, minutes);
    };
    if (!tokenReuse) return issuedAt(audit, await fresh(), now());
    if (!charged) await limiter.consume("mint", caller, "caller");
    return issuedAt(audit, await tokenReuse.mint(record, scopes, minutes, fresh), now());
  }

  /** A token from ACS, never a kept one, for quota the caller has already spent (a new identity's). */
  async mintFresh(
    record: IdentityRecord,
    scopes: AcsScope[],
    minutes: number,
    audit: AuditContext,
  ): Promise<MintedToken> {
    return issuedAt(audit, await this.deps.provisioner.mint(record, scopes, minutes), this.deps.now());
  }
}

/**
 * An identity's lastTokenIssuedAt is the time of its latest successful `token.issue` audit event (the
 * mint's one durable write; the store derives it from there): the answer carries the event's time.
 */
function issuedAt(audit: AuditContext, minted: MintedToken, at: Date): MintedToken {
  audit.at = at;
  return { ...minted, identity: { ...minted.identity, lastTokenIssuedAt: at } };
}
