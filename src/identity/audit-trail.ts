// The audit trail of the core's actions: what each caller did or tried, recorded durably before the
// answer. It wraps a use case (`audited`) and records refusals made elsewhere (`recordDenial`).
import { AppError, ErrorCode } from "../errors";
import { requirePermission } from "./access";
import { actorOf, callerKindOf, type Caller } from "./caller";
import type { AcsScope, AuditAction, AuditEvent, IdentityRecord, NewAuditEvent } from "./model";
import type { Permission } from "./policy";
import type { AuditLog, RateLimiter } from "./ports";
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
  /** Set when the success was already recorded with the change itself (a new identity's create). */
  recorded?: boolean;
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
export const notRecorded = (cause: unknown) =>
  new AppError(
    ErrorCode.INTERNAL,
    `The action was carried out but could not be recorded, so its result is withheld; retrying is safe. ${REPORT}`,
    {},
    { cause },
  );

/** Repeats of one denial seen within the window: its event, and how many are not yet added to it. */
interface OpenDenial {
  eventId: Promise<string>;
  pending: number;
  until: number;
}

export interface AuditTrailOptions {
  /** Spends the `denial` bucket: the denials one caller (and one address) may cause. */
  limiter?: RateLimiter;
  /** Identical denials within this many milliseconds of the first are one event with a count. */
  denialWindowMs?: number;
  now?: () => number;
}

export class AuditTrail {
  private readonly limiter: RateLimiter | undefined;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly open = new Map<string, OpenDenial>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly log: AuditLog,
    options: AuditTrailOptions = {},
  ) {
    this.limiter = options.limiter;
    this.windowMs = options.denialWindowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

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
    if (event.recorded) return result;
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
   * Records a refusal as a `denied` audit event. Anonymous callers are not recorded: anyone can send
   * those for free, and a row each would let them flood the trail (they are logged and counted).
   *
   * Signed-in callers cannot flood it either. Each denial spends the caller's `denial` budget (per
   * subject, per address and service-wide, like the mutations' quotas); past it, the caller is answered
   * RATE_LIMITED instead, and those refusals are recorded as one RATE_LIMITED denial per window. And
   * identical denials (same actor, action, identity, code and operation) within the window are one
   * event whose `count` says how many there were: the first is durable when this resolves, the repeats
   * are added to its count when the window closes (or at shutdown, `flush`).
   *
   * If the first event cannot be written, this throws INTERNAL: the caller is refused either way, and
   * an operator finds the failure in the log instead of a silent gap in the trail.
   */
  async recordDenial(caller: Caller, attempt: DeniedAttempt): Promise<void> {
    if (caller.subject === null) return;
    const overBudget = await this.spendDenialBudget(caller);
    const identityId = overBudget || !isIdentityId(attempt.identityId) ? null : attempt.identityId;
    const errorCode = overBudget ? ErrorCode.RATE_LIMITED : (attempt.errorCode ?? ErrorCode.FORBIDDEN);
    const key = JSON.stringify([
      caller.subject,
      attempt.action,
      identityId,
      errorCode,
      caller.operation ?? null,
    ]);
    const now = this.now();
    const open = this.open.get(key);
    if (open && open.until > now) {
      open.pending += 1;
    } else {
      if (open) void this.close(key, open);
      const written = this.write(caller, {
        action: attempt.action,
        identityId,
        scopes: overBudget ? null : (attempt.scopes ?? null),
        expiresOn: null,
        outcome: "denied",
        errorCode,
      }).then((event) => event.id);
      if (this.windowMs > 0) {
        this.open.set(key, { eventId: written, pending: 0, until: now + this.windowMs });
        this.scheduleFlush();
      }
      try {
        await written;
      } catch (cause) {
        this.open.delete(key);
        throw new AppError(ErrorCode.INTERNAL, `This request was refused. ${REPORT}`, {}, { cause });
      }
    }
    if (overBudget) throw overBudget;
  }

  /** Adds every pending repeat to its event's count (at shutdown; the timer does it as windows close). */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await Promise.all([...this.open].map(([key, open]) => this.close(key, open)));
  }

  /** RATE_LIMITED (to answer instead) when the caller's denial budget is spent, else undefined. */
  private async spendDenialBudget(caller: Caller): Promise<AppError | undefined> {
    try {
      await this.limiter?.consume("denial", caller);
      return undefined;
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.RATE_LIMITED) return error;
      throw error; // the budget could not be checked: the caller is refused (INTERNAL) unrecorded
    }
  }

  private async close(key: string, open: OpenDenial): Promise<void> {
    if (this.open.get(key) === open) this.open.delete(key);
    if (open.pending === 0) return;
    const pending = open.pending;
    open.pending = 0;
    // Best effort: the first event is durable; losing a count must not fail a later request.
    await open.eventId.then((id) => this.log.addToCount(id, pending)).catch(() => undefined);
  }

  /** One timer for all open windows, kept only while some are open, never keeping the process up. */
  private scheduleFlush(): void {
    if (this.flushTimer) return;
    const next = Math.min(...[...this.open.values()].map((open) => open.until));
    this.flushTimer = setTimeout(
      () => {
        this.flushTimer = undefined;
        const now = this.now();
        for (const [key, open] of this.open) if (open.until <= now) void this.close(key, open);
        if (this.open.size) this.scheduleFlush();
      },
      Math.max(10, next - this.now()),
    );
    this.flushTimer.unref?.();
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
      callerKind: callerKindOf(caller),
      requestId: caller.requestId,
      clientRequestId: caller.clientRequestId ?? null,
      operation: caller.operation ?? null,
    });
  }
}
