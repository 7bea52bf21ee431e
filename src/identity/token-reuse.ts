// Quota-aware token reuse (optional): a token asked for again, for the same identity, scopes and
// lifetime, is answered from the tokens already issued while one is young enough, instead of spending
// ACS's issue quota (about 1000 per 30 s per resource) on a new one. Revokes and deletes invalidate.
import type { AcsScope, IdentityRecord } from "./model";
import type { TokenCache } from "./ports";
import type { MintedToken } from "./provisioning";

export interface TokenReuseSettings {
  /**
   * How long after it was issued a token may still be handed out again. A reused token expires at most
   * this much sooner than one issued now would: the caller asked for `minutes` of life and gets at
   * least `minutes` minus this.
   */
  maxAgeMs: number;
  /**
   * The least life a reused token must have left: more than a client's refresh window (the ACS
   * credential refreshes about 10 minutes before expiry) plus a margin, so a reused token is never one
   * the client would immediately refresh again.
   */
  minRemainingMs: number;
}

/** Counters for operators: every hit is an ACS issue call saved. */
export interface TokenReuseStats {
  hits: number;
  misses: number;
  /** Reads or writes the cache failed (a miss, and nothing kept): the mint went to ACS instead. */
  cacheErrors: number;
}

export class TokenReuse {
  readonly stats: TokenReuseStats = { hits: 0, misses: 0, cacheErrors: 0 };

  constructor(
    private readonly cache: TokenCache,
    private readonly settings: TokenReuseSettings,
    private readonly now: () => Date,
  ) {}

  /** A kept token that fits the request, or a fresh one from `mintFresh` (which is then kept). */
  async mint(
    record: IdentityRecord,
    scopes: AcsScope[],
    minutes: number,
    mintFresh: () => Promise<MintedToken>,
  ): Promise<MintedToken> {
    const slot = slotOf(scopes, minutes);
    // A cache that fails costs reuse, never the mint: the token comes from ACS instead.
    const cached = await this.cache.get(record.id, slot).catch(() => {
      this.stats.cacheErrors += 1;
      return undefined;
    });
    const now = this.now().getTime();
    if (
      cached &&
      now - cached.requestedAt.getTime() <= this.settings.maxAgeMs &&
      cached.expiresOn.getTime() - now >= this.settings.minRemainingMs &&
      cached.expiresOn.getTime() <= now + minutes * 60_000
    ) {
      this.stats.hits += 1;
      return { token: cached.token, expiresOn: cached.expiresOn, scopes, identity: record };
    }
    this.stats.misses += 1;
    const requestedAt = this.now();
    const minted = await mintFresh();
    await this.cache
      .put(record.id, slot, { token: minted.token, expiresOn: minted.expiresOn, requestedAt })
      .catch(() => {
        this.stats.cacheErrors += 1;
      });
    return minted;
  }

  /**
   * Called before and after ACS revokes or deletes: no kept token of the identity is handed out again.
   * A failure fails the revoke or delete (calling again completes it): reuse fails closed.
   */
  invalidate(identityId: string): Promise<void> {
    return this.cache.invalidate(identityId, this.now());
  }
}

/**
 * Runs an ACS action that invalidates the identity's tokens (revoke, delete) so that no kept token
 * is handed out again: kept tokens are dropped before it (none is reused meanwhile) and after it
 * (none minted while it ran is kept). Just the action when reuse is off.
 */
export async function forgettingKeptTokens(
  reuse: TokenReuse | undefined,
  identityId: string,
  action: () => Promise<void>,
): Promise<void> {
  await reuse?.invalidate(identityId);
  await action();
  await reuse?.invalidate(identityId);
}

/** The scopes (in a fixed order) and lifetime a token was asked for. */
const slotOf = (scopes: readonly AcsScope[], minutes: number) => `${[...scopes].sort().join(" ")}|${minutes}`;
