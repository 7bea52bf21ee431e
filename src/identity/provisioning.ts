// The ACS side of the core's actions, kept in step with the store. ACS cannot list a resource's
// identities, so an identity it made that we did not record would be lost for good. Every create is
// therefore written in the creation ledger before ACS is asked, and closed in the transaction that
// stores the identity and its `identity.create` event. With repeat-safe creates (a customId) a create
// whose answer was lost is simply asked again and ACS answers with the same identity; without them it
// is never repeated, and one whose outcome is unknown is kept for an operator (and counted).
// No database connection is held while ACS answers: a per-owner lease in the ledger, not a lock.
import { AppError, ErrorCode, notFound } from "../errors";
import { notRecorded } from "./audit-trail";
import type { AcsScope, IdentityCreation, IdentityRecord } from "./model";
import type { AcsIdentityBackend, CreationLedger, IdentityStore, NewCreation } from "./ports";

export interface MintedToken {
  token: string;
  expiresOn: Date;
  scopes: AcsScope[];
  identity: IdentityRecord;
}

export interface Provisioned {
  record: IdentityRecord;
  /** True when this call stored the identity (its `identity.create` event is recorded with it). */
  created: boolean;
  /** True when ACS made an identity that was deleted again: the owner had one already. */
  discarded?: boolean;
}

export interface ProvisioningOptions {
  /** Creates carry a customId, so ACS answers a repeat with the same identity (docs/consistency.md). */
  repeatSafe: boolean;
  /** How long one request may work on a create before another may take it over: above the ACS timeout. */
  leaseMs: number;
  /** The longest a request waits for another request's create for the same owner. */
  ownerWaitMs: number;
  /** Called for each create whose outcome became unknown (for metrics). */
  onUnknownCreate?: () => void;
}

export class IdentityProvisioner {
  constructor(
    private readonly acs: AcsIdentityBackend,
    private readonly store: IdentityStore,
    private readonly ledger: CreationLedger,
    private readonly options: ProvisioningOptions,
    private readonly now: () => Date,
  ) {}

  /** Creates in flight in this process, per owner: others for that owner share the answer. */
  private readonly inFlight = new Map<string, Promise<Provisioned>>();

  /** The owner's identity, created in ACS and stored exactly once if they have none yet. */
  async forOwner(request: NewCreation & { owner: string }): Promise<Provisioned> {
    const deadline = this.now().getTime() + this.options.ownerWaitMs;
    const running = this.inFlight.get(request.owner);
    if (running) {
      // Waiting here uses no database connection; if that create fails, this request tries its own.
      const shared = await within(running, deadline - this.now().getTime());
      if (shared) return { record: shared.record, created: false };
    }
    const attempt = this.provisionOwner(request, deadline);
    this.inFlight.set(request.owner, attempt);
    try {
      return await attempt;
    } finally {
      if (this.inFlight.get(request.owner) === attempt) this.inFlight.delete(request.owner);
    }
  }

  private async provisionOwner(request: NewCreation & { owner: string }, deadline: number) {
    for (let pause = 50; ; pause = Math.min(pause * 2, 1_000)) {
      const existing = await this.store.findActiveByOwner(request.owner);
      if (existing) return this.existing(existing);
      // One create per owner at a time, even when repeat-safe: fewer calls to ACS, and replicas that
      // disagree about customId still make one identity. A holder that died is resumed once its lease
      // runs out (with the same customId) or, without customId, replaced.
      const claimedAt = this.now();
      const { creation, held } = await this.claim(request, claimedAt);
      const fresh =
        held && creation.identityId === null && creation.requestedAt.getTime() === claimedAt.getTime();
      if (fresh) {
        // Another request (here or on another replica) may have stored the owner's identity between
        // our look and our claim: look again before asking ACS, or ACS makes a second one. (Only a
        // creation of our own, never one resumed from a holder that may have reached ACS already.)
        const stored = await this.store.findActiveByOwner(request.owner);
        if (stored) {
          await this.ledger.abandon(creation.key);
          return this.existing(stored);
        }
      }
      if (held) return this.create(creation);
      if (this.now().getTime() + pause > deadline) throw ownerBusy();
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** An owned identity is got-or-created (one per owner); an ownerless one is always new. */
  provision(request: NewCreation): Promise<Provisioned> {
    const { owner } = request;
    return owner === null ? this.withoutOwner({ ...request, owner }) : this.forOwner({ ...request, owner });
  }

  /** A new identity with no owner. */
  async withoutOwner(request: NewCreation & { owner: null }): Promise<Provisioned> {
    return this.create((await this.claim(request)).creation);
  }

  /** An existing owner's identity, refused while its delete is pending. */
  existing(record: IdentityRecord): Provisioned {
    return { record: notBeingDeleted(record), created: false };
  }

  /**
   * Finishes a creation left open (by a lost answer, a timeout or a dead process), for the reconciler:
   * repeat-safe ones are asked again; others are marked unknown unless their identity is known.
   */
  async resume(creation: IdentityCreation): Promise<Provisioned | "unknown"> {
    if (!this.options.repeatSafe && !creation.identityId) {
      await this.ledger.release(creation.key, { outcome: "unknown" });
      this.options.onUnknownCreate?.();
      return "unknown";
    }
    return this.create(creation, { pendingDeleteAllowed: true });
  }

  async mint(record: IdentityRecord, scopes: AcsScope[], minutes: number): Promise<MintedToken> {
    // Nothing is written here: the token.issue audit event is the mint's record (see token-minting.ts).
    const issued = await this.acs.issueToken(record.id, scopes, minutes);
    return { token: issued.token, expiresOn: issued.expiresOn, scopes, identity: record };
  }

  private claim(request: NewCreation, now = this.now()) {
    return this.ledger.claim(request, {
      now,
      leaseMs: this.options.leaseMs,
      resumeStale: this.options.repeatSafe,
    });
  }

  /** Asks ACS (unless the identity is already known) and stores the answer with its audit event. */
  private async create(
    creation: IdentityCreation,
    { pendingDeleteAllowed = false } = {},
  ): Promise<Provisioned> {
    let id = creation.identityId;
    if (id === null) {
      try {
        ({ id } = await this.acs.createIdentity(this.options.repeatSafe ? creation.key : undefined));
      } catch (error) {
        await this.settleFailedCreate(creation, error).catch(() => undefined);
        throw error;
      }
    }
    const stored = await this.ledger.complete(creation, id, this.now()).catch(async (error: unknown) => {
      // The identity exists in ACS but neither it nor its audit event is stored: keep it in the ledger,
      // where a retry or the reconciler stores both.
      await this.ledger.release(creation.key, { identityId: id }).catch(() => undefined);
      throw notRecorded(error);
    });
    if ("taken" in stored) {
      // The owner got another identity meanwhile: this one is surplus, so it is deleted again.
      await this.discard(creation.key, id);
      const taken = pendingDeleteAllowed ? stored.taken : notBeingDeleted(stored.taken);
      return { record: taken, created: false, discarded: true };
    }
    return pendingDeleteAllowed ? stored : { ...stored, record: notBeingDeleted(stored.record) };
  }

  private async discard(key: string, id: string): Promise<void> {
    try {
      await this.acs.deleteIdentity(id);
    } catch (error) {
      await this.ledger.release(key, { identityId: id }).catch(() => undefined);
      throw error;
    }
    await this.ledger.abandon(key);
  }

  /** ACS refused (nothing was made): forget the creation. Otherwise the outcome is unknown. */
  private async settleFailedCreate(creation: IdentityCreation, error: unknown): Promise<void> {
    if (surelyNotCreated(error)) return this.ledger.abandon(creation.key);
    if (this.options.repeatSafe) return this.ledger.release(creation.key, {});
    await this.ledger.release(creation.key, { outcome: "unknown" });
    this.options.onUnknownCreate?.();
  }
}

/**
 * An answer that proves ACS made nothing: throttled, or refused as invalid or unauthorized (4xx).
 * A timeout, a lost connection or a 5xx may come after ACS did the work.
 */
function surelyNotCreated(error: unknown): boolean {
  if (!(error instanceof AppError)) return false;
  if (error.code === ErrorCode.ACS_THROTTLED || error.code === ErrorCode.BAD_USER_INPUT) return true;
  const status = (error as { acsStatus?: unknown }).acsStatus;
  return typeof status === "number" && status >= 400 && status < 500;
}

/** The promise's value if it resolves within `ms`; undefined if it fails or takes longer. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms), undefined)));
  try {
    return await Promise.race([promise.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

const ownerBusy = () =>
  new AppError(
    ErrorCode.ACS_UNAVAILABLE,
    "Another request is still creating this user's identity; try again shortly.",
    { retryAfterSeconds: 1 },
  );

/** An owner's identity whose delete is pending blocks both its use and a new one for that owner. */
function notBeingDeleted(record: IdentityRecord): IdentityRecord {
  if (record.deletionRequestedAt) {
    throw notFound(
      "This identity is being deleted; the delete is completed automatically shortly, and a new identity can be created after it.",
    );
  }
  return record;
}
