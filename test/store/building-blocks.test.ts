// The store's small parts: statements compiled once, audit ids, and page cursors.
import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
} from "kysely";
import { compileOnce, type Arg } from "../../src/store/compiled";
import { decodeCursor, encodeCursor, pageLimit } from "../../src/store/cursor";
import type { Database } from "../../src/store/database";
import { isUuid, uuidV7 } from "../../src/store/uuid-v7";

describe("compileOnce", () => {
  // A PostgreSQL dialect whose one connection only records what it is sent.
  const recording = () => {
    const sent: CompiledQuery[] = [];
    const connection: DatabaseConnection = {
      executeQuery: async <R>(query: CompiledQuery) => {
        sent.push(query);
        return { rows: [] as R[] };
      },
      streamQuery: () => {
        throw new Error("not used");
      },
    };
    const db = new Kysely<Database>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createIntrospector: (kysely) => new PostgresIntrospector(kysely),
        createQueryCompiler: () => new PostgresQueryCompiler(),
        createDriver: () => ({
          init: async () => undefined,
          acquireConnection: async () => connection,
          beginTransaction: async () => undefined,
          commitTransaction: async () => undefined,
          rollbackTransaction: async () => undefined,
          releaseConnection: async () => undefined,
          destroy: async () => undefined,
        }),
      },
    });
    return { db, sent };
  };

  test("runs the SQL compiled once with each call's values; constants stay", async () => {
    const { db, sent } = recording();
    const statement = compileOnce(db, (arg: Arg<{ owner: string; at: Date }>) =>
      db
        .selectFrom("identities")
        .selectAll()
        .where(
          "owner",
          "=",
          arg((args) => args.owner),
        )
        .where("created_by", "=", "fixed")
        .where(
          "created_at",
          "<",
          arg((args) => args.at),
        ),
    );
    const at = new Date();
    await statement.execute(db, { owner: "alice", at });
    await statement.execute(db, { owner: "bob", at });
    expect(sent.map((query) => query.parameters)).toEqual([
      ["alice", "fixed", at],
      ["bob", "fixed", at],
    ]);
    expect(sent[0].sql).toBe(sent[1].sql);
    expect(sent[0].sql).toMatch(/"owner" = \$1 and "created_by" = \$2 and "created_at" < \$3/);
  });

  test("refuses a statement with a slot that Kysely does not send as a parameter", () => {
    const { db } = recording();
    expect(() =>
      compileOnce(db, (arg) => {
        arg(); // made, but never put in the query
        return db.selectFrom("identities").selectAll();
      }),
    ).toThrow(/not one of its parameters/);
  });
});

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
