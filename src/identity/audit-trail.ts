// The audit trail of the core's actions: what each caller did or tried, recorded durably before the
// answer. It wraps a use case (`audited`) and records refusals made elsewhere (`recordDenial`).
import { AppError, ErrorCode } from "../errors";
import { requirePermission } from "./access";
import { actorOf, type Caller } from "./caller";
import type { AcsScope, AuditAction, AuditEvent, IdentityRecord, NewAuditEvent } from "./model";
import type { Permission } from "./policy";
import type { AuditLog } from "./ports";
import { isIdentityId } from "./validation";

/** What a running use case tells the trail about itself; it may fill in the identity as it learns it. */
export interface AuditContext {
  action: AuditAction;
  identityId?: string | null;
  scopes?: AcsScope[] | null;
  /**
   * Set when the caller is answered as if the identity did not exist because they may not see it:
   * the audit trail records the truth (a denial, and whether the identity is known) instead.
   */
  hidden?: { errorCode: ErrorCode };
  /** When the action took effect (a token's issue), recorded as the event's time; now by default. */
  at?: Date;
}

/** A refusal to record that happened outside a mutation (a read, or the schema's guard). */
export interface DeniedAttempt {
  action: AuditAction;
  /** Recorded only when it is a well-formed ACS id: the audit trail never stores arbitrary input. */
  identityId?: unknown;
  scopes?: AcsScope[] | null;
  /** The code to record (for an identity hidden from the caller, the truth, not the answer); FORBIDDEN by default. */
  errorCode?: ErrorCode;
}

/** What a use case returns: an identity, a token with its identity, or a token of no ACS identity (Teams). */
type Outcome = IdentityRecord | { identity: IdentityRecord; expiresOn: Date } | { expiresOn: Date };

// Shown to the caller when the audit trail cannot be written; the cause goes to the log with the request id.
const REPORT = "Quote the x-request-id response header when reporting it.";
const notRecorded = (cause: unknown) =>
  new AppError(
    ErrorCode.INTERNAL,
    `The action was carried out but could not be recorded, so its result is withheld; retrying is safe. ${REPORT}`,
    {},
    { cause },
  );

export class AuditTrail {
  constructor(private readonly log: AuditLog) {}

  /**
   * Runs a use case and records its outcome. The event of a completed action is durable before the
   * result is returned (so before any response is sent). If it cannot be written, the result is
   * withheld and the caller gets INTERNAL: a response never claims success without its record. The
   * action itself stands (ACS has done it); each action is safe to retry, and the retry is recorded.
   * Denials are recorded too (see `recordDenial`); other failures are recorded when the database
   * allows, and otherwise the caller still gets the failure's own error.
   */
  async audited<T extends Outcome>(
    caller: Caller,
    context: AuditContext,
    run: (audit: AuditContext) => Promise<T>,
  ): Promise<T> {
    const event: AuditContext = { ...context };
    const identityOf = () => (isIdentityId(event.identityId) ? event.identityId : null);
    let result: T;
    try {
      result = await run(event);
    } catch (error) {
      const code = error instanceof AppError ? error.code : ErrorCode.INTERNAL;
      // Anonymous probing is not worth a row per request (see recordDenial).
      if (code === ErrorCode.UNAUTHENTICATED) throw error;
      if (event.hidden !== undefined || code === ErrorCode.FORBIDDEN) {
        await this.recordDenial(caller, {
          action: event.action,
          identityId: identityOf(),
          scopes: event.scopes ?? null,
          errorCode: event.hidden?.errorCode ?? code,
        });
      } else {
        await this.write(caller, {
          action: event.action,
          identityId: identityOf(),
          scopes: event.scopes ?? null,
          expiresOn: null,
          outcome: "failed",
          errorCode: code,
        }).catch(() => undefined); // the failure itself matters more to the caller
      }
      throw error;
    }
    await this.write(caller, {
      action: event.action,
      identityId: "identity" in result ? result.identity.id : "id" in result ? result.id : null,
      scopes: event.scopes ?? null,
      expiresOn: "expiresOn" in result ? result.expiresOn : null,
      outcome: "success",
      errorCode: null,
      at: event.at,
    }).catch((cause) => {
      throw notRecorded(cause);
    });
    return result;
  }

  /**
   * Records a refusal as a `denied` audit event, durable when this resolves. Anonymous callers are not
   * recorded: anyone can send those for free, and a row each would let them flood the trail (they are
   * logged and counted). If the event cannot be written, this throws INTERNAL: the caller is refused
   * either way, and an operator finds the failure in the log instead of a silent gap in the trail.
   */
  async recordDenial(caller: Caller, attempt: DeniedAttempt): Promise<void> {
    if (caller.subject === null) return;
    await this.write(caller, {
      action: attempt.action,
      identityId: isIdentityId(attempt.identityId) ? attempt.identityId : null,
      scopes: attempt.scopes ?? null,
      expiresOn: null,
      outcome: "denied",
      errorCode: attempt.errorCode ?? ErrorCode.FORBIDDEN,
    }).catch((cause) => {
      throw new AppError(ErrorCode.INTERNAL, `This request was refused. ${REPORT}`, {}, { cause });
    });
  }

  /**
   * An identity created on the way to a token is a create of its own in the audit trail, recorded as
   * soon as it exists: if minting then fails, the trail still shows the identity that was made.
   */
  async recordCreation(caller: Caller, record: IdentityRecord): Promise<void> {
    await this.write(caller, {
      action: "identity.create",
      identityId: record.id,
      scopes: null,
      expiresOn: null,
      outcome: "success",
      errorCode: null,
    }).catch((cause) => {
      throw notRecorded(cause);
    });
  }

  /** `requirePermission`, recording a refusal; for the reads, which `audited` does not wrap. */
  async authorize(caller: Caller, anyOf: Permission[], what: string, action: AuditAction): Promise<void> {
    try {
      requirePermission(caller, anyOf, what);
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.FORBIDDEN)
        await this.recordDenial(caller, { action });
      throw error;
    }
  }

  /** Records what the caller did or tried; who, which request and which field come from the caller. */
  private write(
    caller: Caller,
    event: Omit<NewAuditEvent, "actor" | "requestId" | "operation">,
  ): Promise<AuditEvent> {
    return this.log.record({
      ...event,
      actor: actorOf(caller),
      requestId: caller.requestId,
      operation: caller.operation ?? null,
    });
  }
}
