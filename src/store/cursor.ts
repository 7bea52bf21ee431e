import { badInput } from "../errors";
import type { Page } from "../identity/model";

/** Which listing a cursor belongs to, so one listing's cursor is refused by another. */
export type CursorKind = "identities" | "audit";

/** A row's position in a keyset ordering: its timestamp, then its id to break ties. */
export interface Position {
  at: Date;
  id: string;
}

const TAGS: Record<CursorKind, string> = { identities: "i1", audit: "a1" };

// What a position may hold, so a forged cursor is refused here rather than by the database: times in
// years 1 to 9999 (PostgreSQL's timestamptz range is narrower than JavaScript's Date), ids of printable
// ASCII (row ids are ACS ids and UUIDs; PostgreSQL text cannot hold NUL).
const EARLIEST = -62_135_596_800_000; // 0001-01-01T00:00:00Z (Date.UTC reads year 1 as 1901)
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const ROW_ID = /^[\x21-\x7e]{1,128}$/;

/** Opaque to callers: base64url of `[tag, epoch milliseconds, id]`. */
export const encodeCursor = (kind: CursorKind, position: Position): string =>
  Buffer.from(JSON.stringify([TAGS[kind], position.at.getTime(), position.id])).toString("base64url");

export function decodeCursor(kind: CursorKind, cursor: string): Position {
  const invalid = () => badInput("after must be a cursor returned by a previous page.", "after");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== TAGS[kind] ||
    !Number.isSafeInteger(parsed[1]) ||
    typeof parsed[2] !== "string" ||
    !ROW_ID.test(parsed[2]) ||
    parsed[1] < EARLIEST ||
    parsed[1] > LATEST
  ) {
    throw invalid();
  }
  const at = new Date(parsed[1] as number);
  if (Number.isNaN(at.getTime())) throw invalid();
  return { at, id: parsed[2] };
}

/** Page sizes are validated by the caller; clamp anyway to 1..100, as the store is the last line. */
export const pageLimit = (first: number): number => Math.min(100, Math.max(1, Math.trunc(first) || 1));

/**
 * Turns `limit + 1` fetched rows into a page: one extra row says another page follows, and the cursor
 * is the position of the last row kept.
 */
export function toPage<Row, Item>(
  kind: CursorKind,
  rows: Row[],
  limit: number,
  positionOf: (row: Row) => Position,
  map: (row: Row) => Item,
): Page<Item> {
  const kept = rows.slice(0, limit);
  const cursors = kept.map((row) => encodeCursor(kind, positionOf(row)));
  return {
    items: kept.map(map),
    cursors,
    endCursor: cursors.at(-1) ?? null,
    hasNextPage: rows.length > limit,
  };
}
