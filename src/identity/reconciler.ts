// Recovery: what a lost answer, a timeout or a killed process left half done is finished here, at
// start, periodically and when an operator asks. Deletes recorded as requested are completed (ACS's
// delete is idempotent); creates left open in the ledger are resumed (repeat-safe ones are asked
// again, and ACS answers with the identity it made) or, when they cannot be, marked unknown for an
// operator. Work a live request may still be doing (its lease has not run out) is left alone.
import type { NewAuditEvent } from "./model";
import type { AcsIdentityBackend, AuditLog, CreationLedger, IdentityStore } from "./ports";
import type { IdentityProvisioner } from "./provisioning";

export interface ReconcileReport {
  /** Deletes that were requested and are now complete. */
  completedDeletes: number;
  /** Identities ACS made that are now stored (with their `identity.create` event). */
  recordedCreates: number;
  /** Identities ACS made for an owner who had one already: deleted again. */
  discardedCreates: number;
  /** Creates whose outcome is unknown and cannot be found again (no customId): an operator's. */
  unresolvedCreates: number;
  /** Items that failed this time (ACS or the database unavailable); the next run tries again. */
  failures: number;
}

/** Who the reconciler's audit events name: the operator who ran it, or the service itself. */
export interface ReconcileActor {
  actor: string;
  requestId: string | null;
  operation: string | null;
}

export const RECONCILER_ACTOR: ReconcileActor = {
  actor: "system:reconciler",
  requestId: null,
  operation: null,
};

const BATCH = 100;

export class Reconciler {
  private running: Promise<ReconcileReport> | undefined;

  constructor(
    private readonly deps: {
      acs: AcsIdentityBackend;
      store: IdentityStore;
      ledger: CreationLedger;
      audit: AuditLog;
      provisioner: IdentityProvisioner;
      /** A request's own work is left to it this long (its lease: above the ACS timeout). */
      graceMs: number;
      now: () => Date;
    },
  ) {}

  /** One pass over everything left half done; concurrent calls share the pass in flight. */
  run(by: ReconcileActor = RECONCILER_ACTOR): Promise<ReconcileReport> {
    return (this.running ??= this.pass(by).finally(() => (this.running = undefined)));
  }

  private async pass(by: ReconcileActor): Promise<ReconcileReport> {
    const report: ReconcileReport = {
      completedDeletes: 0,
      recordedCreates: 0,
      discardedCreates: 0,
      unresolvedCreates: 0,
      failures: 0,
    };
    const { acs, store, ledger, provisioner, graceMs, now } = this.deps;
    const settled = new Date(now().getTime() - graceMs);
    for (const record of await store.pendingDeletes(settled, BATCH)) {
      try {
        await acs.deleteIdentity(record.id);
        await store.markDeleted(record.id, now());
        await this.record(by, { action: "identity.delete", identityId: record.id });
        report.completedDeletes += 1;
      } catch {
        report.failures += 1;
      }
    }
    for (const creation of await ledger.claimStale({ now: now(), leaseMs: graceMs, limit: BATCH })) {
      try {
        const outcome = await provisioner.resume(creation);
        if (outcome === "unknown") continue;
        if (outcome.created) report.recordedCreates += 1;
        else if (outcome.discarded) report.discardedCreates += 1;
      } catch {
        report.failures += 1;
      }
    }
    report.unresolvedCreates = await ledger.countUnknown();
    return report;
  }

  private async record(by: ReconcileActor, event: Pick<NewAuditEvent, "action" | "identityId">) {
    await this.deps.audit.record({
      ...event,
      actor: by.actor,
      requestId: by.requestId,
      operation: by.operation,
      scopes: null,
      expiresOn: null,
      outcome: "success",
      errorCode: null,
    });
  }
}
