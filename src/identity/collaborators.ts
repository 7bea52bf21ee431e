// The one dependency bundle of the use cases: the ports, and the one-job collaborators built over them
// exactly once (one audit trail, one provisioner, one owner cache, one token reuse, one reconciler), so
// every use-case module shares their state. Each use case takes the part of it that it needs.
import { AuditTrail } from "./audit-trail";
import { OwnerCache, type OwnerCacheSettings } from "./owner-cache";
import type {
  AcsIdentityBackend,
  AuditLog,
  CreationLedger,
  IdentityStore,
  RateLimiter,
  TokenCache,
} from "./ports";
import { IdentityProvisioner, type ProvisioningOptions } from "./provisioning";
import { Reconciler } from "./reconciler";
import { TokenMinter } from "./token-minting";
import { TokenReuse, type TokenReuseSettings } from "./token-reuse";

/** The ports and settings the core is built from (by the server, or by a test with fakes). */
export interface IdentityServiceDeps {
  acs: AcsIdentityBackend;
  store: IdentityStore;
  creations: CreationLedger;
  audit: AuditLog;
  limiter: RateLimiter;
  /** Quota-aware token reuse: off when absent. */
  tokenReuse?: { cache: TokenCache; settings: TokenReuseSettings };
  /** Default: creates without customId, a 15 s lease and a 15 s wait for another's create. */
  provisioning?: Partial<ProvisioningOptions>;
  /** The mint path's owner-to-identity cache (see owner-cache.ts); defaults apply when absent. */
  ownerCache?: OwnerCacheSettings;
  now?: () => Date;
  /** Identical denials within this window are one audit event with a count (default 60 s). */
  denialWindowMs?: number;
}

export interface Collaborators {
  now: () => Date;
  acs: AcsIdentityBackend;
  store: IdentityStore;
  creations: CreationLedger;
  /** The audit port, for reading the trail; use cases record through `trail`. */
  audit: AuditLog;
  limiter: RateLimiter;
  trail: AuditTrail;
  provisioner: IdentityProvisioner;
  owners: OwnerCache;
  /** Set when token reuse is on; its stats are the hits and misses. */
  tokenReuse: TokenReuse | undefined;
  minter: TokenMinter;
  /** Finishes what failures left half done; run it at start and periodically (the server does). */
  reconciler: Reconciler;
}

export function buildCollaborators(deps: IdentityServiceDeps): Collaborators {
  const now = deps.now ?? (() => new Date());
  const provisioning: ProvisioningOptions = {
    repeatSafe: false,
    leaseMs: 15_000,
    ownerWaitMs: 15_000,
    ...deps.provisioning,
  };
  const provisioner = new IdentityProvisioner(deps.acs, deps.store, deps.creations, provisioning, now);
  const tokenReuse = deps.tokenReuse && new TokenReuse(deps.tokenReuse.cache, deps.tokenReuse.settings, now);
  return {
    now,
    acs: deps.acs,
    store: deps.store,
    creations: deps.creations,
    audit: deps.audit,
    limiter: deps.limiter,
    trail: new AuditTrail(deps.audit, { limiter: deps.limiter, denialWindowMs: deps.denialWindowMs }),
    provisioner,
    owners: new OwnerCache(deps.ownerCache),
    tokenReuse,
    minter: new TokenMinter({ limiter: deps.limiter, provisioner, tokenReuse, now }),
    reconciler: new Reconciler({
      ...deps,
      ledger: deps.creations,
      provisioner,
      graceMs: provisioning.leaseMs,
      now,
    }),
  };
}
