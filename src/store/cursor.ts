import { badInput } from "../errors";

// Cursors are opaque to callers: the row's sequence number, base64url-encoded.
export const encodeCursor = (seq: string | number | bigint): string =>
  Buffer.from(`v1:${seq}`).toString("base64url");

export function decodeCursor(cursor: string): string {
  const match = /^v1:(\d{1,19})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw badInput("after must be a cursor returned by a previous page.", "after");
  return match[1];
}

/** Page sizes are validated by the caller; clamp anyway, as the store is the last line. */
export const pageLimit = (first: number) => Math.min(Math.max(first, 1), 100);

/**
 * Turns `limit + 1` fetched rows into a page: one extra row says another page follows, and the cursor
 * is the position of the last row kept.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  positionOf: (row: Row) => string | number | bigint,
  map: (row: Row) => Item,
) {
  const kept = rows.slice(0, limit);
  return {
    items: kept.map(map),
    endCursor: kept.length ? encodeCursor(positionOf(kept[kept.length - 1])) : null,
    hasNextPage: rows.length > limit,
  };
}
