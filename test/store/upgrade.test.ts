// A database made by the first release of the store (its first migration only) is brought up to date
// at open, and its rows read back unchanged through today's repositories.
import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator, sql } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import { SqlAuditLog } from "../../src/store/audit-log";
import { migrate } from "../../src/store/connect";
import type { Database } from "../../src/store/database";
import { SqlIdentityStore } from "../../src/store/identity-store";
import { migrationProvider, migrations } from "../../src/store/migrations";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

// Tests here start services (or emulators, or child processes) of their own.
jest.setTimeout(SERVICE_START_TIMEOUT_MS);

test("a database from the first release is migrated with its identities and audit events intact", async () => {
  const db = new Kysely<Database>({ dialect: new PGliteDialect(await PGlite.create()) });
  try {
    const first = Object.keys(migrations)[0];
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo(first);
    expect(error).toBeUndefined();
    await sql`insert into identities (id, owner, created_by, created_at, last_token_issued_at)
      values ('8:acs:r_old-1', 'old-owner', 'backend', '2026-11-24T01:02:03.456Z', '2026-11-24T01:03:00.000Z'),
             ('8:acs:r_old-2', null, 'admin', '2026-11-24T01:02:04.000Z', null)`.execute(db);
    await sql`insert into audit_events (at, actor, action, identity_id, scopes, expires_on, outcome)
      values ('2026-11-24T01:03:00.000Z', 'old-owner', 'token.issue', '8:acs:r_old-1', '{chat}',
              '2026-11-25T01:03:00.000Z', 'success')`.execute(db);

    await migrate(db);

    const identities = new SqlIdentityStore(db);
    expect(await identities.findActiveByOwner("old-owner")).toEqual({
      id: "8:acs:r_old-1",
      owner: "old-owner",
      createdBy: "backend",
      createdAt: new Date("2026-11-24T01:02:03.456Z"),
      lastTokenIssuedAt: new Date("2026-11-24T01:03:00.000Z"),
      tokensRevokedAt: null,
      deletionRequestedAt: null,
      deletedAt: null,
    });
    expect((await identities.list({ first: 10 })).items.map((i) => i.id)).toEqual([
      "8:acs:r_old-1",
      "8:acs:r_old-2",
    ]);

    const audit = new SqlAuditLog(db);
    const recorded = await audit.record({
      actor: "new-owner",
      action: "identity.create",
      identityId: "8:acs:r_new",
      scopes: null,
      expiresOn: null,
      outcome: "success",
      errorCode: null,
      requestId: "req-1",
    });
    const events = (await audit.list({ first: 10 })).items;
    expect(events.map((e) => [e.actor, e.action])).toEqual([
      ["new-owner", "identity.create"],
      ["old-owner", "token.issue"],
    ]);
    expect(events[0]).toEqual(recorded);
    expect(events[1].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[1].scopes).toEqual(["chat"]);

    const ran = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
    expect(ran.rows.map((r) => r.name)).toEqual(Object.keys(migrations));
  } finally {
    await db.destroy();
  }
});
