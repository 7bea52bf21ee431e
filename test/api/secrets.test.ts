// Secrets never reach a log line, an error message or the database: not ACS tokens, not bearer tokens,
// not the ACS access key. Also: the logger's redaction on its own, and request ids on every line.
// (The whole suite's traffic is swept the same way by test/support/secret-sweep*.ts.)
import express from "express";
import { sql } from "kysely";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { createLogger } from "../../src/server/logger";
import { acceptClientRequestId, requestId } from "../../src/server/request-id";
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

  test("every line logged while serving a request carries its id, also after the body is parsed and in error handlers", async () => {
    const logged: Array<Record<string, unknown>> = [];
    const logger = createLogger("trace", { write: (line: string) => void logged.push(JSON.parse(line)) });
    const app = express();
    app.use(requestId);
    app.use(express.json());
    app.post("/ok", async (_req, res) => {
      logger.info("in the handler");
      await new Promise((resolve) => setTimeout(resolve, 5));
      logger.child({ component: "deeper" }).warn("after an await, from a child logger");
      res.json({});
    });
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      logger.error("in the error handler");
      res.status(400).json({});
    });
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ok = await fetch(`${url}/ok`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      const bad = await fetch(`${url}/ok`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{no",
      });
      expect(logged.map((line) => [line.msg, line.requestId])).toEqual([
        ["in the handler", ok.headers.get("x-request-id")],
        ["after an await, from a child logger", ok.headers.get("x-request-id")],
        ["in the error handler", bad.headers.get("x-request-id")],
      ]);
      logger.info("outside any request");
      expect(logged.at(-1)).not.toHaveProperty("requestId");
      // A line that names its own request id keeps it, once.
      logger.child({ requestId: "bound-1234" }).info("bound");
      expect(JSON.stringify(logged.at(-1)).match(/requestId/g)).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});
