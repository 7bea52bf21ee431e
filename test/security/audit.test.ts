// The audit trail, end to end over HTTP: every create, issue, revoke and delete, and every refusal of
// a signed-in caller, leaves exactly the expected event, already durable when the response arrives and
// tied to the response's x-request-id; only admins may read it; it never holds a token.
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { Client } from "pg";
import { startTestService, type TestService } from "../support/service";
import { describeWithPostgres } from "../support/postgres";
import * as op from "../support/operations";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

interface Answer {
  status: number;
  requestId: string;
  body: { data?: Record<string, any> | null; errors?: Array<Record<string, any>> };
  /** The audit events of this request, read the moment the response arrived (before its body). */
  events: AuditRow[];
}

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  identity_id: string | null;
  scopes: string[] | null;
  expires_on: Date | null;
  outcome: string;
  error_code: string | null;
  request_id: string | null;
  operation: string | null;
  caller_kind: string | null;
  client_request_id: string | null;
  count: number;
}

/** Reads one request's events from the database, in the order they were written. */
type EventReader = (requestId: string) => Promise<AuditRow[]>;

/**
 * Sends one GraphQL request and, as soon as the response's headers are in and before its body is
 * read, reads the request's audit events: an event that is there now was durable before the response.
 */
async function send(
  graphqlUrl: string,
  readEvents: EventReader,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(graphqlUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const requestId = response.headers.get("x-request-id") ?? "";
  const events = await readEvents(requestId);
  return { status: response.status, requestId, body: (await response.json()) as Answer["body"], events };
}

/** The fields every event of the request must have: who, which request, and when (during it). */
function expectEvents(
  answer: Answer,
  actor: string,
  expected: Array<Partial<Omit<AuditRow, "id" | "at" | "actor" | "request_id">>>,
  started: number,
) {
  expect(answer.requestId).not.toBe("");
  expect(answer.events).toHaveLength(expected.length);
  answer.events.forEach((event, i) => {
    expect(event).toEqual({
      id: expect.any(String),
      at: expect.any(Date),
      actor,
      request_id: answer.requestId,
      identity_id: null,
      scopes: null,
      expires_on: null,
      error_code: null,
      caller_kind: "subject",
      client_request_id: null,
      count: 1,
      ...expected[i],
    });
    expect(event.at.getTime()).toBeGreaterThanOrEqual(started - 5);
    expect(event.at.getTime()).toBeLessThanOrEqual(Date.now());
  });
}

describe("on the embedded database", () => {
  let service: TestService;
  const tokens: Record<string, string> = {};
  /** Every ACS token minted in this file, to look for in the trail at the end. */
  const minted: string[] = [];
  const readEvents: EventReader = (requestId) =>
    service.store.db
      .selectFrom("audit_events")
      .selectAll()
      .where("request_id", "=", requestId)
      .orderBy("at")
      .orderBy("id")
      .execute() as Promise<AuditRow[]>;
  const call = async (
    subject: string | null,
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) => {
    const answer = await send(
      service.graphqlUrl,
      readEvents,
      subject === null ? null : tokens[subject],
      query,
      variables,
      headers,
    );
    const data = answer.body.data ?? {};
    for (const value of Object.values(data)) {
      if (value && typeof value === "object" && typeof value.token === "string") minted.push(value.token);
    }
    return answer;
  };
  const code = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code;

  beforeAll(async () => {
    // One quick ACS retry keeps the outage case fast.
    service = await startTestService({
      ACS_MAX_RETRIES: "1",
      ACS_TIMEOUT_MS: "5000",
      // One event per request, also for repeated denials: this file checks each request's events.
      AUDIT_DENIAL_WINDOW_SECONDS: "0",
    });
    for (const [subject, roles] of [
      ["root", ["admin"]],
      ["dave", ["user"]],
      ["eve", ["user"]],
      ["gail", ["guest"]],
      ["backend", ["service"]],
      ["unrecorded", ["admin"]],
    ] as const) {
      tokens[subject] = await service.tokenFor(subject, [...roles]);
    }
  }, SERVICE_START_TIMEOUT_MS);
  afterEach(() => service.emulator!.faults.clear());
  afterAll(() => service?.stop());

  describe("every completed action is one event (two when an identity is made on the way), there on arrival", () => {
    let carol = "";
    let dave = "";

    test("creating an identity for an owner, again (the same one), and without an owner", async () => {
      let started = Date.now();
      const first = await call("root", op.CREATE, { owner: "carol" });
      carol = first.body.data!.createCommunicationIdentity.id;
      const createEvent = {
        action: "identity.create",
        identity_id: carol,
        outcome: "success",
        operation: "Mutation.createCommunicationIdentity",
      };
      expectEvents(first, "root", [createEvent], started);

      started = Date.now();
      const again = await call("root", op.CREATE, { owner: "carol" });
      expect(again.body.data!.createCommunicationIdentity.id).toBe(carol);
      expectEvents(again, "root", [createEvent], started);

      started = Date.now();
      const ownerless = await call("root", op.CREATE);
      expectEvents(
        ownerless,
        "root",
        [{ ...createEvent, identity_id: ownerless.body.data!.createCommunicationIdentity.id }],
        started,
      );
    });

    test("a first token for yourself creates your identity: a create and an issue, in that order", async () => {
      const started = Date.now();
      const answer = await call("dave", op.ISSUE_MY, { scopes: ["CHAT", "VOIP"], minutes: 120 });
      const token = answer.body.data!.issueMyAccessToken;
      dave = token.identity.id;
      expectEvents(
        answer,
        "dave",
        [
          {
            action: "identity.create",
            identity_id: dave,
            outcome: "success",
            operation: "Mutation.issueMyAccessToken",
          },
          {
            action: "token.issue",
            identity_id: dave,
            scopes: ["chat", "voip"],
            expires_on: new Date(token.expiresOn),
            outcome: "success",
            operation: "Mutation.issueMyAccessToken",
          },
        ],
        started,
      );
    });

    test("later tokens, by the common path and by identity id, are one issue each", async () => {
      for (const [document, variables, field, operation] of [
        [op.ISSUE_MY, { scopes: ["VOIP"] }, "issueMyAccessToken", "Mutation.issueMyAccessToken"],
        [op.ISSUE, { id: dave, scopes: ["VOIP"] }, "issueAccessToken", "Mutation.issueAccessToken"],
      ] as const) {
        const started = Date.now();
        const answer = await call("dave", document, variables);
        expectEvents(
          answer,
          "dave",
          [
            {
              action: "token.issue",
              identity_id: dave,
              scopes: ["voip"],
              expires_on: new Date(answer.body.data![field].expiresOn),
              outcome: "success",
              operation,
            },
          ],
          started,
        );
      }
    });

    test("a backend minting for a new graph user, and an admin creating with a token, record the create too", async () => {
      for (const [subject, document, variables, field, operation] of [
        [
          "backend",
          op.ISSUE_FOR_USER,
          { userId: "erin", scopes: ["CHAT"] },
          "issueUserAccessToken",
          "Mutation.issueUserAccessToken",
        ],
        [
          "root",
          op.CREATE_WITH_TOKEN,
          { owner: "frank", scopes: ["CHAT"] },
          "createCommunicationIdentityWithToken",
          "Mutation.createCommunicationIdentityWithToken",
        ],
        [
          "root",
          op.CREATE_WITH_TOKEN,
          { scopes: ["CHAT"] },
          "createCommunicationIdentityWithToken",
          "Mutation.createCommunicationIdentityWithToken",
        ],
      ] as const) {
        const started = Date.now();
        const answer = await call(subject, document, variables);
        const token = answer.body.data![field];
        const issue = {
          action: "token.issue",
          identity_id: token.identity.id,
          scopes: ["chat"],
          expires_on: new Date(token.expiresOn),
          outcome: "success",
          operation,
        };
        const create = {
          action: "identity.create",
          identity_id: token.identity.id,
          outcome: "success",
          operation,
        };
        expectEvents(answer, subject, [create, issue], started);
        // The owner's identity exists now: the same call again only issues.
        if ("owner" in variables || "userId" in variables) {
          const again = await call(subject, document, variables);
          expectEvents(
            again,
            subject,
            [{ ...issue, expires_on: new Date(again.body.data![field].expiresOn) }],
            started,
          );
        }
      }
    });

    test("revoking your own tokens, and an admin revoking someone's", async () => {
      let started = Date.now();
      const own = await call("dave", op.REVOKE, { id: dave });
      const revoke = {
        action: "token.revoke",
        identity_id: dave,
        outcome: "success",
        operation: "Mutation.revokeAccessTokens",
      };
      expectEvents(own, "dave", [revoke], started);
      started = Date.now();
      expectEvents(await call("root", op.REVOKE, { id: dave }), "root", [revoke], started);
    });

    test("deleting, and deleting again (a no-op that still answers, and is still recorded)", async () => {
      const remove = {
        action: "identity.delete",
        identity_id: dave,
        outcome: "success",
        operation: "Mutation.deleteCommunicationIdentity",
      };
      for (let i = 0; i < 2; i++) {
        const started = Date.now();
        const answer = await call("root", op.DELETE, { id: dave });
        expect(answer.body.data!.deleteCommunicationIdentity.deletedAt).not.toBeNull();
        expectEvents(answer, "root", [remove], started);
      }
    });

    test("the request id is always ours; a sane client id is recorded beside it, an unsafe one dropped", async () => {
      const mine = `audit-${randomUUID()}`;
      let started = Date.now();
      const kept = await call("root", op.REVOKE, { id: carol }, { "x-request-id": mine });
      expect(kept.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expectEvents(
        kept,
        "root",
        [
          {
            action: "token.revoke",
            identity_id: carol,
            outcome: "success",
            operation: "Mutation.revokeAccessTokens",
            client_request_id: mine,
          },
        ],
        started,
      );

      started = Date.now();
      const replaced = await call("root", op.REVOKE, { id: carol }, { "x-request-id": "bad id; drop table" });
      expect(replaced.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(replaced.events).toHaveLength(1);
      expect(await readEvents("bad id; drop table")).toEqual([]);
    });

    test("failures are recorded as failed with their code", async () => {
      let started = Date.now();
      const tooShort = await call("root", op.ISSUE, { id: carol, scopes: ["CHAT"], minutes: 59 });
      expect(code(tooShort)).toBe("BAD_USER_INPUT");
      expectEvents(
        tooShort,
        "root",
        [
          {
            action: "token.issue",
            identity_id: carol,
            scopes: ["chat"],
            outcome: "failed",
            error_code: "BAD_USER_INPUT",
            operation: "Mutation.issueAccessToken",
          },
        ],
        started,
      );

      service.emulator!.faults.set([{ kind: "unavailable", ratio: 1 }]);
      started = Date.now();
      const outage = await call("root", op.REVOKE, { id: carol });
      expect(code(outage)).toBe("ACS_UNAVAILABLE");
      expectEvents(
        outage,
        "root",
        [
          {
            action: "token.revoke",
            identity_id: carol,
            outcome: "failed",
            error_code: "ACS_UNAVAILABLE",
            operation: "Mutation.revokeAccessTokens",
          },
        ],
        started,
      );
      service.emulator!.faults.clear();

      const unknown = `8:acs:${service.emulator!.resourceId}_${randomUUID()}`;
      started = Date.now();
      const missing = await call("root", op.DELETE, { id: unknown });
      expect(code(missing)).toBe("NOT_FOUND");
      expectEvents(
        missing,
        "root",
        [
          {
            action: "identity.delete",
            identity_id: unknown,
            outcome: "failed",
            error_code: "NOT_FOUND",
            operation: "Mutation.deleteCommunicationIdentity",
          },
        ],
        started,
      );
    });

    test("every refusal of a signed-in caller is one denied event naming what was attempted", async () => {
      const hidden = `8:acs:${service.emulator!.resourceId}_${randomUUID()}`;
      const cases: Array<[string, string, Record<string, unknown>, string, Partial<AuditRow>]> = [
        // refused by the schema's guard, before any resolver
        [
          "eve",
          op.AUDIT,
          { first: 10, actor: "dave" },
          "FORBIDDEN",
          { action: "audit.read", operation: "Query.auditEvents" },
        ],
        [
          "eve",
          op.IDENTITIES,
          { first: 10, owner: "carol" },
          "FORBIDDEN",
          { action: "identity.list", operation: "Query.communicationIdentities" },
        ],
        [
          "eve",
          op.DELETE,
          { id: carol },
          "FORBIDDEN",
          {
            action: "identity.delete",
            identity_id: carol,
            operation: "Mutation.deleteCommunicationIdentity",
          },
        ],
        [
          "eve",
          op.CREATE,
          { owner: "eve" },
          "FORBIDDEN",
          { action: "identity.create", operation: "Mutation.createCommunicationIdentity" },
        ],
        [
          "backend",
          op.AUDIT,
          { first: 10 },
          "FORBIDDEN",
          { action: "audit.read", operation: "Query.auditEvents" },
        ],
        // refused by the core's policy
        [
          "eve",
          op.ISSUE_FOR_USER,
          { userId: "carol", scopes: ["CHAT"] },
          "FORBIDDEN",
          { action: "token.issue", scopes: ["chat"], operation: "Mutation.issueUserAccessToken" },
        ],
        [
          "gail",
          op.ISSUE_MY,
          { scopes: ["CHAT"] },
          "FORBIDDEN",
          { action: "token.issue", scopes: ["chat"], operation: "Mutation.issueMyAccessToken" },
        ],
        [
          "gail",
          op.ISSUE_MY,
          { scopes: ["VOIP_JOIN"], minutes: 120 },
          "FORBIDDEN",
          { action: "token.issue", scopes: ["voip.join"], operation: "Mutation.issueMyAccessToken" },
        ],
        [
          "backend",
          op.REVOKE,
          { id: carol },
          "FORBIDDEN",
          { action: "token.revoke", identity_id: carol, operation: "Mutation.revokeAccessTokens" },
        ],
        // identities hidden from the caller: answered NOT_FOUND, recorded as the denial they are
        [
          "eve",
          op.ISSUE,
          { id: carol, scopes: ["CHAT"] },
          "NOT_FOUND",
          {
            action: "token.issue",
            identity_id: carol,
            scopes: ["chat"],
            operation: "Mutation.issueAccessToken",
          },
        ],
        [
          "eve",
          op.REVOKE,
          { id: hidden },
          "NOT_FOUND",
          {
            action: "token.revoke",
            identity_id: hidden,
            error_code: "NOT_FOUND",
            operation: "Mutation.revokeAccessTokens",
          },
        ],
      ];
      for (const [subject, document, variables, answered, event] of cases) {
        const started = Date.now();
        const answer = await call(subject, document, variables);
        expect(code(answer)).toBe(answered);
        expectEvents(answer, subject, [{ outcome: "denied", error_code: "FORBIDDEN", ...event }], started);
      }
      // A read of someone else's identity answers null, and is recorded.
      const started = Date.now();
      const read = await call("eve", op.IDENTITY, { id: carol });
      expect(read.body).toEqual({ data: { communicationIdentity: null } });
      expectEvents(
        read,
        "eve",
        [
          {
            action: "identity.read",
            identity_id: carol,
            outcome: "denied",
            error_code: "FORBIDDEN",
            operation: "Query.communicationIdentity",
          },
        ],
        started,
      );
    });

    test("anonymous refusals are not recorded: free to send in bulk, they would flood the trail", async () => {
      for (const [document, variables] of [
        [op.ISSUE_MY, { scopes: ["CHAT"] }],
        [op.ISSUE, { id: carol, scopes: ["CHAT"] }],
        [op.DELETE, { id: carol }],
        [op.AUDIT, { first: 10 }],
      ] as const) {
        const answer = await call(null, document, variables);
        expect(code(answer)).toBe("UNAUTHENTICATED");
        expect(answer.events).toEqual([]);
      }
      const anonymousRows = await service.store.db
        .selectFrom("audit_events")
        .select("id")
        .where("actor", "=", "anonymous")
        .execute();
      expect(anonymousRows).toEqual([]);
    });
  });

  describe("reading the trail", () => {
    test.each([
      ["a user", "eve", "FORBIDDEN"],
      ["a guest", "gail", "FORBIDDEN"],
      ["a service", "backend", "FORBIDDEN"],
      ["an anonymous caller", null, "UNAUTHENTICATED"],
    ])("is refused to %s", async (_name, subject, expected) => {
      const answer = await call(subject, op.AUDIT, { first: 10, actor: subject ?? "eve" });
      expect(code(answer)).toBe(expected);
      expect(answer.body.data).toBeNull();
    });

    test("an admin reads it, filtered, with the same events the database holds", async () => {
      const answer = await call("root", op.REVOKE, {
        id: (await call("root", op.CREATE, { owner: "heidi" })).body.data!.createCommunicationIdentity.id,
      });
      const heidi = answer.body.data!.revokeAccessTokens.id;
      const page = await call(
        "root",
        `query($identityId: ID) { auditEvents(first: 10, identityId: $identityId) { nodes { id at actor action operation identityId scopes expiresOn outcome errorCode requestId } } }`,
        { identityId: heidi },
      );
      expect(page.body.errors).toBeUndefined();
      const nodes = page.body.data!.auditEvents.nodes;
      expect(nodes.map((n: { action: string }) => n.action)).toEqual(["token.revoke", "identity.create"]);
      expect(nodes[0]).toEqual({
        id: answer.events[0].id,
        at: answer.events[0].at.toISOString(),
        actor: "root",
        action: "token.revoke",
        operation: "Mutation.revokeAccessTokens",
        identityId: heidi,
        scopes: null,
        expiresOn: null,
        outcome: "success",
        errorCode: null,
        requestId: answer.requestId,
      });
      const denials = await call("root", op.AUDIT, { first: 100, actor: "eve" });
      expect(denials.body.data!.auditEvents.nodes.length).toBeGreaterThan(0);
      expect(
        new Set(denials.body.data!.auditEvents.nodes.map((n: { outcome: string }) => n.outcome)),
      ).toEqual(new Set(["denied"]));
    });
  });

  describe("when the audit trail cannot be written", () => {
    // A real database refusal, for one actor only: the rest of the service keeps working.
    beforeAll(async () => {
      await sql`create function refuse_audit() returns trigger language plpgsql as $$
                begin raise exception 'audit trail unavailable'; end $$`.execute(service.store.db);
      await sql`create trigger refuse_audit before insert on audit_events for each row
                when (new.actor = 'unrecorded') execute function refuse_audit()`.execute(service.store.db);
    });
    afterAll(() => sql`drop trigger if exists refuse_audit on audit_events`.execute(service.store.db));

    test("a refusal stays a refusal, answered INTERNAL so the missing record is logged, not silent", async () => {
      const unrecordedUser = await service.tokenFor("unrecorded", ["user"]);
      const answer = await send(service.graphqlUrl, readEvents, unrecordedUser, op.AUDIT, { first: 1 });
      expect(answer.body.data).toBeNull();
      expect(answer.body.errors).toEqual([
        expect.objectContaining({
          message: expect.stringContaining("refused"),
          extensions: { code: "INTERNAL" },
        }),
      ]);
      const hidden = await send(service.graphqlUrl, readEvents, unrecordedUser, op.ISSUE, {
        id: `8:acs:${service.emulator!.resourceId}_${randomUUID()}`,
        scopes: ["CHAT"],
      });
      expect(hidden.body.errors![0].extensions.code).toBe("INTERNAL");
    });

    test("a completed action does not claim success: INTERNAL, no result, and a retry completes and records it", async () => {
      const created = await call("unrecorded", op.CREATE, { owner: "ivan" });
      expect(created.body.data).toBeNull();
      expect(created.body.errors).toEqual([
        expect.objectContaining({
          message: expect.stringContaining("could not be recorded"),
          extensions: { code: "INTERNAL" },
        }),
      ]);
      expect(created.events).toEqual([]);
      // ACS made the identity, but it is not stored without its audit event: the creation ledger
      // holds it until a retry (or the reconciler) can store both.
      expect(await service.store.identities.findActiveByOwner("ivan")).toBeUndefined();
      const open = (await service.store.creations.list(100)).find((creation) => creation.owner === "ivan");
      expect(open?.identityId).toMatch(/^8:acs:/);

      // A token ACS minted is withheld too, and a failure keeps its own code.
      const judy = await call("root", op.CREATE, { owner: "judy" });
      const judyId = judy.body.data!.createCommunicationIdentity.id;
      const tokensBefore = service.emulator!.stats().tokensIssued;
      const issued = await call("unrecorded", op.ISSUE, { id: judyId, scopes: ["CHAT"] });
      expect(code(issued)).toBe("INTERNAL");
      expect(issued.body.data).toBeNull(); // the token ACS minted is withheld, never sent
      expect(service.emulator!.stats().tokensIssued).toBe(tokensBefore + 1);

      const refused = await call("unrecorded", op.ISSUE, { id: judyId, scopes: ["CHAT"], minutes: 59 });
      expect(code(refused)).toBe("BAD_USER_INPUT");

      // Once the trail accepts writes again, the same call completes and is recorded.
      await sql`drop trigger refuse_audit on audit_events`.execute(service.store.db);
      const retried = await call("unrecorded", op.CREATE, { owner: "ivan" });
      expect(retried.body.data!.createCommunicationIdentity.id).toBe(open!.identityId);
      expect(retried.events).toEqual([
        expect.objectContaining({ actor: "unrecorded", action: "identity.create", outcome: "success" }),
      ]);
    });
  });

  test("no audit event, in the database or through the API, holds a token it issued or a bearer token", async () => {
    expect(minted.length).toBeGreaterThan(5);
    const secrets = [...minted, ...Object.values(tokens)];
    const rows = JSON.stringify(await service.store.db.selectFrom("audit_events").selectAll().execute());
    const api = JSON.stringify((await call("root", op.AUDIT, { first: 100 })).body);
    for (const secret of secrets) {
      expect(rows).not.toContain(secret);
      expect(api).not.toContain(secret);
      // nor any recognizable piece of one (a JWT's signature part)
      expect(rows).not.toContain(secret.split(".")[2]);
    }
  });
});

describeWithPostgres(
  "on PostgreSQL, seen from another connection",
  (database) => {
    let service: TestService;
    let observer: Client;
    beforeAll(async () => {
      service = await startTestService(
        { AUDIT_DENIAL_WINDOW_SECONDS: "0" },
        { database: { kind: "postgres", url: database().url, poolSize: 4 } },
      );
      observer = new Client({ connectionString: database().url });
      await observer.connect();
    }, SERVICE_START_TIMEOUT_MS);
    afterAll(async () => {
      await observer?.end();
      await service?.stop();
    });

    test("each completed action's event is committed when its response arrives", async () => {
      // A separate connection sees only committed rows: the event was durable before the response.
      const readEvents: EventReader = async (requestId) =>
        (
          await observer.query("select * from audit_events where request_id = $1 order by at, id", [
            requestId,
          ])
        ).rows as AuditRow[];
      const admin = await service.tokenFor("root", ["admin"]);
      const user = await service.tokenFor("judy", ["user"]);
      const mine = await send(service.graphqlUrl, readEvents, user, op.ISSUE_MY, { scopes: ["CHAT"] });
      const id = mine.body.data!.issueMyAccessToken.identity.id;
      expect(mine.events.map((e) => [e.action, e.outcome, e.identity_id])).toEqual([
        ["identity.create", "success", id],
        ["token.issue", "success", id],
      ]);
      for (const [token, document, variables, action] of [
        [admin, op.CREATE, { owner: "mallory" }, "identity.create"],
        [admin, op.ISSUE, { id, scopes: ["VOIP"] }, "token.issue"],
        [user, op.REVOKE, { id }, "token.revoke"],
        [admin, op.DELETE, { id }, "identity.delete"],
        [user, op.AUDIT, { first: 1 }, "audit.read"],
      ] as const) {
        const answer = await send(service.graphqlUrl, readEvents, token, document, variables);
        expect(answer.events.map((e) => e.action)).toEqual([action]);
        expect(answer.events[0].request_id).toBe(answer.requestId);
      }
    });
  },
  "audit",
);
