import { badInput } from "../errors";

// Cursors are opaque to callers: the row's sequence number, base64url-encoded.
export const encodeCursor = (seq: string | number | bigint): string =>
  Buffer.from(`v1:${seq}`).toString("base64url");

export function decodeCursor(cursor: string): string {
  const match = /^v1:(\d{1,19})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw badInput("after must be a cursor returned by a previous page.", "after");
  return match[1];
}
