// What ACS holds, read from the emulator's journal (ACS itself has no API to list identities): the
// identities that exist now. Tests compare it with the service's rows to count orphans.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Kysely } from "kysely";
import type { Database } from "../../src/store/database";

/** The ids of identities the emulator with this data folder holds (created and not deleted). */
export function liveAcsIdentities(emulatorDataDir: string): Set<string> {
  const file = path.join(emulatorDataDir, "journal.jsonl");
  const live = new Set<string>();
  if (!existsSync(file)) return live;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    let entry: { t: string; id?: string };
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // a torn last line
    }
    if (entry.t === "create" && entry.id) live.add(entry.id);
    if (entry.t === "delete" && entry.id) live.delete(entry.id);
    if (entry.t === "reset") live.clear();
  }
  return live;
}

export interface Consistency {
  /** Identities in ACS. */
  acsIdentities: number;
  /** Rows in the service's database (all, deleted included), and active ones. */
  rows: number;
  activeRows: number;
  /** In ACS, with no row. */
  orphans: number;
  /** A row not marked deleted whose identity ACS no longer has, or whose delete is requested. */
  pendingDeletes: number;
  /** Rows without their `identity.create` audit event. */
  rowsWithoutCreateEvent: number;
}

export async function consistencyOf(db: Kysely<Database>, emulatorDataDir: string): Promise<Consistency> {
  const live = liveAcsIdentities(emulatorDataDir);
  const rows = await db.selectFrom("identities").selectAll().execute();
  const known = new Set(rows.map((row) => row.id));
  const created = new Set(
    (
      await db
        .selectFrom("audit_events")
        .select("identity_id")
        .where("action", "=", "identity.create")
        .where("outcome", "=", "success")
        .execute()
    ).map((event) => event.identity_id),
  );
  return {
    acsIdentities: live.size,
    rows: rows.length,
    activeRows: rows.filter((row) => row.deleted_at === null).length,
    orphans: [...live].filter((id) => !known.has(id)).length,
    pendingDeletes: rows.filter(
      (row) => row.deleted_at === null && (row.deletion_requested_at !== null || !live.has(row.id)),
    ).length,
    rowsWithoutCreateEvent: rows.filter((row) => !created.has(row.id)).length,
  };
}
