// Secrets never reach a log line, an error message or the database: not ACS tokens, not bearer tokens,
// not the ACS access key. Also: request ids, kept out of log lines when a client chooses them, and on
// every line logged about a request.
// (The whole suite's traffic is swept the same way by test/support/secret-sweep*.ts.)
import { sql } from "kysely";
import { Writable } from "node:stream";
import { createLogger } from "../../src/server/logger";
import { acceptClientRequestId } from "../../src/server/request-id";
import { startTestService, type TestService } from "../support/service";
import * as op from "../support/operations";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

let service: TestService;
const lines: string[] = [];
beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger("trace", sink);
  service = await startTestService({}, { logger });
}, SERVICE_START_TIMEOUT_MS);
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

describe("request ids", () => {
  test("a caller's own id is kept (beside ours) only when short and plain", () => {
    expect(acceptClientRequestId("my-request-12345")).toBe("my-request-12345");
    expect(acceptClientRequestId("a".repeat(64))).toBe("a".repeat(64));
    for (const bad of [
      undefined,
      "",
      "short",
      "a".repeat(65),
      "x".repeat(100_000),
      "abc\ndef-12345",
      'abc" injected="1',
      "abc\u0000def-12345",
      "ünïcödé-request",
      "with space 12345",
      ["my-request-12345", "my-request-67890"],
    ])
      expect(acceptClientRequestId(bad)).toBeNull();
  });

  test("an oversized or unsafe x-request-id never reaches a log line or the audit trail", async () => {
    const injected = `evil-${"x".repeat(5000)}`;
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await service.tokenFor("mallory", ["user"])}`,
        "x-request-id": injected,
      },
      body: JSON.stringify({ query: "mutation { issueMyAccessToken(scopes: [CHAT]) { expiresOn } }" }),
    });
    expect(response.status).toBe(200);
    const assigned = response.headers.get("x-request-id")!;
    expect(assigned).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.join("\n")).not.toContain("evil-");
    expect(lines.some((line) => JSON.parse(line).requestId === assigned)).toBe(true);
    const admin = await service.as("ops", ["admin"]);
    const audit = (await admin.request(op.AUDIT, { first: 5, actor: "mallory" })).data!.auditEvents.nodes;
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.map((e: { requestId: string }) => e.requestId)).toEqual(audit.map(() => assigned));
  });

  test("every line logged while serving a request names it: the request log, refusals and failures", async () => {
    // One request at a time, so each line written between a request and its answer is that request's.
    const send = async (body: string, bearer?: string) => {
      const first = lines.length;
      const response = await fetch(service.graphqlUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
        body,
      });
      await response.text();
      const logged = lines.slice(first).map((line) => JSON.parse(line) as Record<string, unknown>);
      return { id: response.headers.get("x-request-id"), logged };
    };
    const bearer = await service.tokenFor("ids-user", ["user"]);
    const mint = JSON.stringify({ query: "mutation { issueMyAccessToken(scopes: [CHAT]) { expiresOn } }" });
    const answers = {
      minted: await send(mint, bearer),
      // Refused before Apollo Server: the token limit.
      tooManyTokens: await send(
        JSON.stringify({ query: `{ ${"viewer { subject } ".repeat(2000)} }` }),
        bearer,
      ),
    };
    // An operation that fails for a reason worth an operator's look: logged with its cause.
    await service.closeDatabaseOnPurpose();
    const failed = await send(mint, await service.tokenFor("ids-other", ["user"]));
    for (const [name, { id, logged }] of Object.entries({ ...answers, failed })) {
      expect([name, logged.length > 0]).toEqual([name, true]);
      expect([name, logged.map((line) => line.requestId)]).toEqual([name, logged.map(() => id)]);
    }
    expect(failed.logged.map((line) => line.msg)).toEqual(
      expect.arrayContaining(["operation failed", "graphql"]),
    );
    expect(answers.tooManyTokens.logged.map((line) => line.limit)).toContain("tokens");
  });
});
