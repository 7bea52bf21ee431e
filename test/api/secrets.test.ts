// Secrets never reach a log line, an error message or the database: not ACS tokens, not bearer tokens,
// not the ACS access key.
import pino from "pino";
import { sql } from "kysely";
import { Writable } from "node:stream";
import { REDACTED_PATHS } from "../../src/server/logger";
import { startTestService, type TestService } from "../support/service";
import * as op from "../support/operations";

let service: TestService;
const lines: string[] = [];
beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: "trace", redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, sink);
  service = await startTestService({}, { logger });
});
afterAll(() => service?.stop());

test("a full flow, including failures, leaves no secret in logs, errors or the database", async () => {
  const bearer = await service.tokenFor("alice", ["user"]);
  const admin = await service.as("ops", ["admin"]);
  const alice = await service.as("alice", ["user"]);
  const minted = (await alice.request(op.ISSUE_MY, { scopes: ["CHAT", "VOIP"] })).data!.issueMyAccessToken;
  const id = minted.identity.id;
  const errors = [
    ...(await alice.request(op.ISSUE_MY, { scopes: ["CHAT"], minutes: 5000 })).errors,
    ...(await alice.request(op.DELETE, { id })).errors,
  ];
  service.emulator!.faults.set([{ kind: "unavailable", ratio: 1 }]);
  errors.push(...(await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).errors);
  service.emulator!.faults.clear();
  await admin.request(op.REVOKE, { id });
  await admin.request(op.DELETE, { id });

  const rows = await Promise.all(
    ["identities", "audit_events"].map(
      async (table) => (await sql`select * from ${sql.table(table)}`.execute(service.store.db)).rows,
    ),
  );
  const haystacks = {
    logs: lines.join("\n"),
    errors: JSON.stringify(errors),
    database: JSON.stringify(rows),
  };
  expect(lines.length).toBeGreaterThan(5);
  expect(rows[1].length).toBeGreaterThan(3);
  const secrets = {
    acsToken: minted.token,
    acsTokenPayload: minted.token.split(".")[1],
    bearer,
    bearerSignature: bearer.split(".")[2],
    accessKey: service.emulator!.accessKey,
  };
  for (const [where, text] of Object.entries(haystacks)) {
    for (const [what, secret] of Object.entries(secrets)) {
      expect(`${where} contains ${what}: ${text.includes(secret)}`).toBe(`${where} contains ${what}: false`);
    }
  }
});
