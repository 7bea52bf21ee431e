// Owner-to-identity lookups of the mint path, kept in this process so that a repeat mint reads nothing
// from the database. Correctness does not rest on the cache being fresh (see docs/performance.md):
// - this process drops an owner's entry when it requests, completes or revokes anything on that
//   identity, and a lookup that raced such a change is not kept (the generation check);
// - another replica's delete is noticed when ACS refuses to mint for the cached identity: the core
//   drops the entry and looks again (TokenIssuing.issueUserAccessToken);
// - entries live at most `ttlMs`, which bounds how stale the mutable fields of a mint's `identity`
//   (tokensRevokedAt, deletionRequestedAt) can be after another replica changes them.
import { LRUCache } from "lru-cache";
import type { IdentityRecord } from "./model";

export interface OwnerCacheSettings {
  /** Most owners kept (least recently used dropped first). */
  max: number;
  ttlMs: number;
}

export const DEFAULT_OWNER_CACHE: OwnerCacheSettings = { max: 10_000, ttlMs: 60_000 };

export class OwnerCache {
  private readonly entries: LRUCache<string, IdentityRecord>;
  // Bumped by every `forget`: a lookup that started before one may have read the old row, so its
  // result is used but not kept.
  private generation = 0;

  constructor(settings: OwnerCacheSettings = DEFAULT_OWNER_CACHE) {
    this.entries = new LRUCache({ max: settings.max, ttl: settings.ttlMs });
  }

  /**
   * The owner's active identity: `cached` says whether it came from this cache (and so may be stale).
   * `keep` caches the identity the caller then created for the owner, unless something was forgotten
   * meanwhile.
   */
  async find(
    owner: string,
    load: (owner: string) => Promise<IdentityRecord | undefined>,
  ): Promise<{
    record: IdentityRecord | undefined;
    cached: boolean;
    keep: (record: IdentityRecord) => void;
  }> {
    const generation = this.generation;
    const keep = (record: IdentityRecord) => {
      // One whose delete is pending is never kept: using it is refused anyway.
      if (record.owner === owner && !record.deletionRequestedAt && !record.deletedAt)
        if (generation === this.generation) this.entries.set(owner, record);
    };
    const hit = this.entries.get(owner);
    if (hit) return { record: hit, cached: true, keep };
    const record = await load(owner);
    if (record) keep(record);
    return { record, cached: false, keep };
  }

  forget(owner: string | null): void {
    this.generation += 1;
    if (owner !== null) this.entries.delete(owner);
  }
}
