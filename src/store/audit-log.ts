import type { Kysely, Selectable } from "kysely";
import type { AcsScope, AuditAction, AuditEvent, AuditOutcome, NewAuditEvent, Page } from "../identity/model";
import type { AuditLog, ListAuditQuery } from "../identity/ports";
import { decodeCursor, pageLimit, toPage } from "./cursor";
import type { Database } from "./database";

type Row = Selectable<Database["audit_events"]>;

const toEvent = (row: Row): AuditEvent => ({
  id: String(row.id),
  at: new Date(row.at),
  actor: row.actor,
  action: row.action as AuditAction,
  identityId: row.identity_id,
  scopes: row.scopes as AcsScope[] | null,
  expiresOn: row.expires_on && new Date(row.expires_on),
  outcome: row.outcome as AuditOutcome,
  errorCode: row.error_code,
  requestId: row.request_id,
});

export class SqlAuditLog implements AuditLog {
  constructor(private readonly db: Kysely<Database>) {}

  /** Written before it resolves (autocommit), so a completed action's event is durable. */
  async record(event: NewAuditEvent): Promise<AuditEvent> {
    const row = await this.db
      .insertInto("audit_events")
      .values({
        at: event.at ?? new Date(),
        actor: event.actor,
        action: event.action,
        identity_id: event.identityId,
        scopes: event.scopes,
        expires_on: event.expiresOn,
        outcome: event.outcome,
        error_code: event.errorCode,
        request_id: event.requestId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toEvent(row);
  }

  /** Newest first, in the order events were written. */
  async list({ first, after, identityId, actor }: ListAuditQuery): Promise<Page<AuditEvent>> {
    const limit = pageLimit(first);
    let query = this.db
      .selectFrom("audit_events")
      .selectAll()
      .orderBy("id", "desc")
      .limit(limit + 1);
    if (after) query = query.where("id", "<", decodeCursor(after));
    if (identityId != null) query = query.where("identity_id", "=", identityId);
    if (actor != null) query = query.where("actor", "=", actor);
    return toPage(await query.execute(), limit, (row) => row.id, toEvent);
  }
}
