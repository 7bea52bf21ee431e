import type { Insertable, Kysely, Selectable } from "kysely";
import { badInput } from "../errors";
import type {
  AcsScope,
  AuditAction,
  AuditEvent,
  AuditOutcome,
  CallerKind,
  NewAuditEvent,
  Page,
} from "../identity/model";
import type { AuditLog, ListAuditQuery } from "../identity/ports";
import { compileOnce, type Arg } from "./compiled";
import { decodeCursor, pageLimit, toPage } from "./cursor";
import type { Database } from "./database";
import { isUuid, uuidV7 } from "./uuid-v7";

type Row = Selectable<Database["audit_events"]>;

const date = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

const toEvent = (row: Row): AuditEvent => ({
  id: row.id,
  at: date(row.at),
  actor: row.actor,
  action: row.action as AuditAction,
  identityId: row.identity_id,
  scopes: row.scopes as AcsScope[] | null,
  expiresOn: row.expires_on === null ? null : date(row.expires_on),
  outcome: row.outcome as AuditOutcome,
  errorCode: row.error_code,
  requestId: row.request_id,
  operation: row.operation,
  callerKind: row.caller_kind as CallerKind | null,
  clientRequestId: row.client_request_id,
  count: row.count,
});

type NewRow = Insertable<Database["audit_events"]>;

/**
 * The row of a new event (also written by other repositories inside their own transactions): every
 * column set by the writer, so the row is what the database stores (times are milliseconds there too).
 */
export const auditRow = (event: NewAuditEvent): Row => ({
  id: uuidV7(),
  at: event.at ?? new Date(),
  actor: event.actor,
  action: event.action,
  identity_id: event.identityId,
  scopes: event.scopes,
  expires_on: event.expiresOn,
  outcome: event.outcome,
  error_code: event.errorCode,
  request_id: event.requestId,
  operation: event.operation ?? null,
  caller_kind: event.callerKind ?? null,
  client_request_id: event.clientRequestId ?? null,
  count: event.count ?? 1,
});

// Every column of a new event's row (the type makes sure none is left out or misspelt).
const COLUMNS = Object.keys({
  id: true,
  at: true,
  actor: true,
  action: true,
  identity_id: true,
  scopes: true,
  expires_on: true,
  outcome: true,
  error_code: true,
  request_id: true,
  operation: true,
  caller_kind: true,
  client_request_id: true,
  count: true,
} satisfies Record<keyof NewRow, true>) as (keyof NewRow)[];

/**
 * The insert of `size` rows made by `auditRow`, compiled once (see compiled.ts). It returns only the
 * ids: the writer already holds every value, and having PGlite encode and the driver parse the 14
 * columns back cost 85 to 95 µs of a 260 to 290 µs insert on PGlite.
 */
export const compileAuditInsert = (db: Kysely<Database>, size: number) =>
  compileOnce(db, (arg: Arg<readonly NewRow[]>) =>
    db
      .insertInto("audit_events")
      .values(
        Array.from(
          { length: size },
          (_, i) =>
            Object.fromEntries(COLUMNS.map((column) => [column, arg((rows) => rows[i][column])])) as NewRow,
        ),
      )
      .returning("id"),
  );

interface Pending {
  row: Row;
  resolve: (event: AuditEvent) => void;
  reject: (error: unknown) => void;
}

/** Most events written by one statement (PostgreSQL takes at most 65535 parameters; an event has 14). */
const MAX_BATCH = 500;
/** Inserts of up to this many rows are kept compiled; larger batches are rare and compiled each time. */
const KEPT_BATCH = 64;

/**
 * The audit log in the SQL database (PGlite or PostgreSQL). Events hold no tokens: there is no column
 * for one.
 *
 * Writes are group-committed: an event recorded while no write is running is written at once, in its
 * own statement; events recorded while one runs wait for it and are then written together, in one
 * multi-row insert (one statement, one commit). Each `record` still resolves only once its own event
 * is durable, so a concurrent load costs one round trip and one commit per batch instead of per event,
 * and a lone event waits for nothing.
 */
export class SqlAuditLog implements AuditLog {
  private queue: Pending[] = [];
  private writing = false;
  private readonly inserts = new Map<number, ReturnType<typeof compileAuditInsert>>();

  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Writes one event (autocommitted, alone or with others recorded meanwhile), so it is durable when
   * this resolves, and returns it as stored. `at` defaults to now; the id is a UUIDv7. If the write
   * fails, every event of its batch fails with the same error.
   */
  record(event: NewAuditEvent): Promise<AuditEvent> {
    const row = auditRow(event);
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /** Writes the queue in batches until it is empty; one drain runs at a time. */
  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.write(batch);
        } catch (error) {
          if (batch.length === 1) batch[0].reject(error);
          // One event the database refuses must not fail the others: each is tried alone.
          else await Promise.all(batch.map((pending) => this.write([pending]).catch(pending.reject)));
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const rows = await this.insertOf(batch.length).execute(
      this.db,
      batch.map((pending) => pending.row),
    );
    const written = new Set(rows.map((row) => row.id));
    if (batch.some((pending) => !written.has(pending.row.id)))
      throw new Error("the audit events were not all returned by their insert");
    for (const pending of batch) pending.resolve(toEvent(pending.row));
  }

  private insertOf(size: number) {
    let insert = this.inserts.get(size);
    if (!insert) {
      insert = compileAuditInsert(this.db, size);
      if (size <= KEPT_BATCH) this.inserts.set(size, insert);
    }
    return insert;
  }

  async addToCount(id: string, by: number): Promise<void> {
    await this.db
      .updateTable("audit_events")
      .set((eb) => ({ count: eb("count", "+", by) }))
      .where("id", "=", id)
      .execute();
  }

  /** Newest first, ordered by (at, id) descending; filters combine. */
  async list({ first, after, identityId, actor }: ListAuditQuery): Promise<Page<AuditEvent>> {
    const limit = pageLimit(first);
    let select = this.db
      .selectFrom("audit_events")
      .selectAll()
      .orderBy("at", "desc")
      .orderBy("id", "desc")
      .limit(limit + 1);
    if (identityId != null) select = select.where("identity_id", "=", identityId);
    if (actor != null) select = select.where("actor", "=", actor);
    if (after) {
      const position = decodeCursor("audit", after);
      if (!isUuid(position.id))
        throw badInput("after must be a cursor returned by a previous page.", "after");
      select = select.where(({ eb, refTuple, tuple }) =>
        eb(refTuple("at", "id"), "<", tuple(position.at, position.id)),
      );
    }
    const rows = await select.execute();
    return toPage("audit", rows, limit, (row) => ({ at: date(row.at), id: row.id }), toEvent);
  }
}
