// Running the service rather than serving a user: recovery for operators (what failures left half
// done, and the reconciler on demand), and the audit trail's upkeep (refusals made outside the core,
// and the flush of aggregated denials at shutdown).
import { actorOf, type Caller } from "./caller";
import type { Collaborators } from "./collaborators";
import type { IdentityCreation, IdentityRecord } from "./model";
import type { DeniedAttempt } from "./audit-trail";
import type { ReconcileReport } from "./reconciler";
import { assertPageSize } from "./validation";

/** What failures left half done, for an operator. */
export interface PendingOperations {
  /** Identities whose delete was requested and has not completed. */
  deletes: IdentityRecord[];
  /** Creates whose answer is not stored yet: `pending` (to be resumed) or `unknown` (an operator's). */
  creations: IdentityCreation[];
}

type Deps = Pick<Collaborators, "store" | "creations" | "trail" | "reconciler" | "now">;

export class ServiceOperations {
  constructor(private readonly deps: Deps) {}

  /** Deletes and creates that failures left half done. Needs identity:delete (an operator's). */
  async pendingOperations(caller: Caller, first: number): Promise<PendingOperations> {
    const { trail, store, creations, now } = this.deps;
    await trail.authorize(caller, ["identity:delete"], "Listing pending operations", "identity.list");
    assertPageSize(first);
    const [deletes, pending] = await Promise.all([store.pendingDeletes(now(), first), creations.list(first)]);
    return { deletes, creations: pending };
  }

  /** Runs the reconciler now, on behalf of an operator (its actions are audited under their name). */
  async reconcile(caller: Caller): Promise<ReconcileReport> {
    await this.deps.trail.authorize(
      caller,
      ["identity:delete"],
      "Running the reconciler",
      "identity.reconcile",
    );
    return this.deps.reconciler.run({
      actor: actorOf(caller),
      requestId: caller.requestId,
      operation: caller.operation ?? null,
    });
  }

  /** Records a refusal made outside the core (the schema's guard) in the audit trail. */
  recordDenial(caller: Caller, attempt: DeniedAttempt): Promise<void> {
    return this.deps.trail.recordDenial(caller, attempt);
  }

  /** Adds the repeats of aggregated denials to their events; before the database closes. */
  flushAudit(): Promise<void> {
    return this.deps.trail.flush();
  }
}
