// The store's small parts: audit ids and page cursors.
import { decodeCursor, encodeCursor, pageLimit } from "../../src/store/cursor";
import { isUuid, uuidV7 } from "../../src/store/uuid-v7";

describe("uuidV7", () => {
  test("makes version 7 UUIDs that sort in the order they were made, within one millisecond too", () => {
    const now = Date.UTC(2026, 10, 24);
    const ids = Array.from({ length: 5000 }, () => uuidV7(now)); // more than the 4096 counter values
    ids.push(uuidV7(now - 10)); // the clock stepped back
    ids.push(uuidV7(now + 60_000));
    for (const id of ids) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe("7");
      expect("89ab").toContain(id[19]);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(parseInt(ids[0].replace(/-/g, "").slice(0, 12), 16)).toBe(now);
  });
});

describe("cursors", () => {
  test("round-trip a position and refuse other listings' cursors and junk", () => {
    const position = { at: new Date("2026-11-24T10:00:00.123Z"), id: "8:acs:a_b" };
    const cursor = encodeCursor("identities", position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor("identities", cursor)).toEqual(position);
    for (const bad of [encodeCursor("audit", position), "", "e30", "WzFd", "not base64!"]) {
      expect(() => decodeCursor("identities", bad)).toThrow(
        expect.objectContaining({ code: "BAD_USER_INPUT", details: { field: "after" } }),
      );
    }
  });

  test("page sizes are clamped to 1..100", () => {
    expect([0, -1, 1, 50.7, 100, 101, Number.NaN, Infinity].map(pageLimit)).toEqual([
      1, 1, 1, 50, 100, 100, 1, 100,
    ]);
  });
});
