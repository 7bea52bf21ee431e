// Authorization attacks, end to end over HTTP: each role tries what its policy does not allow. Every
// refusal must change nothing (no ACS call, no identity row touched), leave a `denied` audit event,
// and, for identities the caller may not see, give one answer whether the id belongs to someone else,
// was deleted or never existed, so the answers cannot be used to find out which ids exist.
import { randomUUID } from "node:crypto";
import { startTestService, type TestService } from "../support/service";
import * as op from "../support/operations";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

interface Sent {
  status: number;
  requestId: string;
  body: { data?: Record<string, any> | null; errors?: Array<Record<string, any>> };
}

let service: TestService;
const tokens: Record<string, string> = {};
const ids = { alice: "", eve: "", gail: "", deleted: "", ownerless: "", guessed: "" };

// The roles under attack, with scopes their policy allows (so refusals are about the identity).
const ATTACKERS = [
  { role: "user", subject: "eve", scopes: ["CHAT"], acsScopes: ["chat"] },
  { role: "guest", subject: "gail", scopes: ["VOIP_JOIN"], acsScopes: ["voip.join"] },
] as const;

/** One GraphQL request over HTTP, as any client would send it; `token` null sends none. */
async function send(token: string | null, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(service.graphqlUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    requestId: response.headers.get("x-request-id") ?? "",
    body: (await response.json()) as Sent["body"],
  };
}

const acsRequests = () => service.emulator!.stats().requests;
const identityRows = () => service.store.db.selectFrom("identities").selectAll().orderBy("id").execute();
const eventsOf = (requestId: string) =>
  service.store.db
    .selectFrom("audit_events")
    .selectAll()
    .where("request_id", "=", requestId)
    .orderBy("at")
    .orderBy("id")
    .execute();

/**
 * Sends a request that must be refused, and proves it changed nothing: no ACS call and every identity
 * row as it was. Returns the answer and the audit events recorded under its request id.
 */
async function refused(token: string | null, query: string, variables: Record<string, unknown> = {}) {
  const [acsBefore, rowsBefore] = [acsRequests(), await identityRows()];
  const sent = await send(token, query, variables);
  expect(sent.body.errors?.length).toBe(1);
  expect(acsRequests()).toBe(acsBefore);
  expect(await identityRows()).toEqual(rowsBefore);
  return { ...sent, events: await eventsOf(sent.requestId) };
}

/** The one `denied` event a refusal must leave, and nothing else. */
function expectDenied(
  events: Awaited<ReturnType<typeof eventsOf>>,
  expected: {
    actor: string;
    action: string;
    operation: string;
    errorCode?: string;
    identityId?: string | null;
  },
) {
  expect(events).toHaveLength(1);
  const { identityId = null, errorCode = "FORBIDDEN", ...rest } = expected;
  expect(events[0]).toMatchObject({
    ...rest,
    outcome: "denied",
    error_code: errorCode,
    identity_id: identityId,
    expires_on: null,
  });
}

const code = (sent: Sent) => sent.body.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  // This file checks each refusal's own answer and audit event: a denial budget that no test here
  // reaches, and one event per denial (the budget and aggregation have their own tests, second-pass).
  service = await startTestService({
    RATE_LIMIT_DENIAL_PER_MINUTE: "10000",
    RATE_LIMIT_DENIAL_PER_MINUTE_PER_ADDRESS: "10000",
    AUDIT_DENIAL_WINDOW_SECONDS: "0",
  });
  for (const [subject, roles] of [
    ["alice", ["user"]],
    ["bob", ["user"]],
    ["eve", ["user"]],
    ["gail", ["guest"]],
    ["backend", ["service"]],
    ["root", ["admin"]],
    ["nobody-special", ["superhero"]],
  ] as const) {
    tokens[subject] = await service.tokenFor(subject, [...roles]);
  }
  const mintMine = async (subject: string, scopes: string[]) =>
    (await send(tokens[subject], op.ISSUE_MY, { scopes })).body.data!.issueMyAccessToken.identity
      .id as string;
  ids.alice = await mintMine("alice", ["CHAT"]);
  ids.eve = await mintMine("eve", ["CHAT"]);
  ids.gail = await mintMine("gail", ["VOIP_JOIN"]);
  ids.deleted = await mintMine("bob", ["CHAT"]);
  expect((await send(tokens.root, op.DELETE, { id: ids.deleted })).body.errors).toBeUndefined();
  ids.ownerless = (await send(tokens.root, op.CREATE, {})).body.data!.createCommunicationIdentity.id;
  // Well-formed, on this very ACS resource, and never issued: what someone guessing ids would send.
  ids.guessed = `8:acs:${service.emulator!.resourceId}_${randomUUID()}`;
  expect(await service.store.identities.findById(ids.guessed)).toBeUndefined();
}, SERVICE_START_TIMEOUT_MS);
afterAll(() => service?.stop());

// Another user's live identity (leaked), a deleted one, one without an owner, and one never issued.
const HIDDEN = [
  { name: "leaked from another user", key: "alice", truth: "FORBIDDEN" },
  { name: "of a deleted identity", key: "deleted", truth: "FORBIDDEN" },
  { name: "without an owner", key: "ownerless", truth: "FORBIDDEN" },
  { name: "guessed", key: "guessed", truth: "NOT_FOUND" },
] as const;

describe.each(ATTACKERS)("a $role ($subject) naming identities it does not own", (attacker) => {
  const token = () => tokens[attacker.subject];

  test.each(HIDDEN)(
    "minting for an id $name is NOT_FOUND, recorded as denied ($truth)",
    async ({ key, truth }) => {
      const attempt = await refused(token(), op.ISSUE, { id: ids[key], scopes: attacker.scopes });
      expect(attempt.body).toEqual({
        data: null,
        errors: [
          {
            message: "No identity with this id that you may use is known to this service.",
            locations: [{ line: 2, column: 3 }],
            path: ["issueAccessToken"],
            extensions: { code: "NOT_FOUND" },
          },
        ],
      });
      expectDenied(attempt.events, {
        actor: attacker.subject,
        action: "token.issue",
        operation: "Mutation.issueAccessToken",
        identityId: ids[key],
        errorCode: truth,
      });
      expect(attempt.events[0].scopes).toEqual(attacker.acsScopes);
    },
  );

  test.each(HIDDEN)(
    "revoking the tokens of an id $name is NOT_FOUND, recorded as denied ($truth)",
    async ({ key, truth }) => {
      const attempt = await refused(token(), op.REVOKE, { id: ids[key] });
      expect(code(attempt)).toBe("NOT_FOUND");
      expectDenied(attempt.events, {
        actor: attacker.subject,
        action: "token.revoke",
        operation: "Mutation.revokeAccessTokens",
        identityId: ids[key],
        errorCode: truth,
      });
    },
  );

  test.each(HIDDEN)(
    "reading an id $name answers null, recorded as denied ($truth)",
    async ({ key, truth }) => {
      // A null answer carries no error, so this is checked here rather than through `refused`.
      const [acsBefore, rowsBefore] = [acsRequests(), await identityRows()];
      const sent = await send(token(), op.IDENTITY, { id: ids[key] });
      expect(sent.body).toEqual({ data: { communicationIdentity: null } });
      expect(acsRequests()).toBe(acsBefore);
      expect(await identityRows()).toEqual(rowsBefore);
      expectDenied(await eventsOf(sent.requestId), {
        actor: attacker.subject,
        action: "identity.read",
        operation: "Query.communicationIdentity",
        identityId: ids[key],
        errorCode: truth,
      });
    },
  );

  test("the answers for leaked, deleted, ownerless and guessed ids are identical, operation by operation", async () => {
    for (const [document, extra] of [
      [op.ISSUE, { scopes: attacker.scopes }],
      [op.REVOKE, {}],
      [op.IDENTITY, {}],
      [
        `query($id: ID!) { _entities(representations: [{ __typename: "CommunicationIdentity", id: $id }]) { ... on CommunicationIdentity { id owner } } }`,
        {},
      ],
    ] as const) {
      const answers = [];
      for (const { key } of HIDDEN) {
        const sent = await send(token(), document, { id: ids[key], ...extra });
        answers.push({ status: sent.status, body: sent.body });
      }
      for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0]);
    }
  });

  test("its own identity still gets precise answers", async () => {
    const own = attacker.subject === "eve" ? ids.eve : ids.gail;
    const read = await send(token(), op.IDENTITY, { id: own });
    expect(read.body.data!.communicationIdentity).toMatchObject({ id: own, owner: attacker.subject });
    expect(await eventsOf(read.requestId)).toEqual([]); // reads that succeed are not recorded
  });
});

describe("callers who may see every identity keep precise answers (the positive control)", () => {
  test("an admin is told deleted from unknown, and reads deleted identities", async () => {
    const deleted = await send(tokens.root, op.ISSUE, { id: ids.deleted, scopes: ["CHAT"] });
    const unknown = await send(tokens.root, op.ISSUE, { id: ids.guessed, scopes: ["CHAT"] });
    expect([code(deleted), code(unknown)]).toEqual(["NOT_FOUND", "NOT_FOUND"]);
    expect(deleted.body.errors![0].message).toBe(`Identity ${ids.deleted} was deleted.`);
    expect(unknown.body.errors![0].message).not.toBe(deleted.body.errors![0].message);
    // Not denials: the admin may act on any identity; these failed.
    expect((await eventsOf(deleted.requestId)).map((e) => [e.outcome, e.error_code])).toEqual([
      ["failed", "NOT_FOUND"],
    ]);
    const read = await send(tokens.root, op.IDENTITY, { id: ids.deleted });
    expect(read.body.data!.communicationIdentity.deletedAt).not.toBeNull();
    expect((await send(tokens.root, op.IDENTITY, { id: ids.guessed })).body.data).toEqual({
      communicationIdentity: null,
    });
  });

  test("an admin mints for another user's identity", async () => {
    const minted = await send(tokens.root, op.ISSUE, { id: ids.alice, scopes: ["CHAT"] });
    expect(minted.body.errors).toBeUndefined();
    expect(minted.body.data!.issueAccessToken.identity.id).toBe(ids.alice);
  });

  test("the owner of a deleted identity is told it was deleted", async () => {
    const bob = await service.tokenFor("bob", ["user"]);
    const sent = await send(bob, op.ISSUE, { id: ids.deleted, scopes: ["CHAT"] });
    expect(sent.body.errors![0]).toMatchObject({
      message: `Identity ${ids.deleted} was deleted.`,
      extensions: { code: "NOT_FOUND" },
    });
  });

  test("a service (identity:read, no token:revoke) sees identities, so its refusal to revoke is FORBIDDEN", async () => {
    const attempt = await refused(tokens.backend, op.REVOKE, { id: ids.alice });
    expect(code(attempt)).toBe("FORBIDDEN");
    expectDenied(attempt.events, {
      actor: "backend",
      action: "token.revoke",
      operation: "Mutation.revokeAccessTokens",
      identityId: ids.alice,
    });
    const unknown = await send(tokens.backend, op.REVOKE, { id: ids.guessed });
    expect(code(unknown)).toBe("NOT_FOUND");
  });
});

describe("asking for more than the policy allows is FORBIDDEN, never clamped", () => {
  test.each([
    ["a scope outside a guest's policy", op.ISSUE_MY, { scopes: ["CHAT"] }, ["chat"]],
    ["one allowed and one not", op.ISSUE_MY, { scopes: ["VOIP_JOIN", "VOIP"] }, ["voip.join", "voip"]],
    [
      "a lifetime beyond a guest's 60 minutes",
      op.ISSUE_MY,
      { scopes: ["VOIP_JOIN"], minutes: 61 },
      ["voip.join"],
    ],
    [
      "the ACS maximum, beyond a guest's policy",
      op.ISSUE_MY,
      { scopes: ["VOIP_JOIN"], minutes: 1440 },
      ["voip.join"],
    ],
    [
      "a scope outside policy for its own identity",
      op.ISSUE,
      { id: "own", scopes: ["CHAT_JOIN"] },
      ["chat.join"],
    ],
    [
      "a scope outside policy for its own user id",
      op.ISSUE_FOR_USER,
      { userId: "gail", scopes: ["CHAT"] },
      ["chat"],
    ],
  ])("a guest asking for %s", async (_name, document, variables, recordedScopes) => {
    const vars = "id" in variables ? { ...variables, id: ids.gail } : variables;
    const attempt = await refused(tokens.gail, document, vars);
    expect(code(attempt)).toBe("FORBIDDEN");
    expect(attempt.body.data).toBeNull(); // no token at all, not a smaller one
    expectDenied(attempt.events, {
      actor: "gail",
      action: "token.issue",
      operation: expect.stringMatching(/^Mutation\.issue/) as unknown as string,
      identityId: "id" in variables ? ids.gail : null,
    });
    expect(attempt.events[0].scopes).toEqual(recordedScopes);
  });

  test("the policy answers before the identity is looked up: the same refusal for a hidden id as for its own", async () => {
    const own = await refused(tokens.gail, op.ISSUE, { id: ids.gail, scopes: ["CHAT"] });
    for (const { key } of HIDDEN) {
      const other = await refused(tokens.gail, op.ISSUE, { id: ids[key], scopes: ["CHAT"] });
      expect(other.body).toEqual(own.body);
      expectDenied(other.events, {
        actor: "gail",
        action: "token.issue",
        operation: "Mutation.issueAccessToken",
        identityId: ids[key],
      });
    }
  });

  test("an unknown role grants nothing: refused by the schema's guard, and recorded", async () => {
    const attempt = await refused(tokens["nobody-special"], op.ISSUE_MY, { scopes: ["CHAT"] });
    expect(code(attempt)).toBe("FORBIDDEN");
    expectDenied(attempt.events, {
      actor: "nobody-special",
      action: "token.issue",
      operation: "Mutation.issueMyAccessToken",
    });
  });

  test("a role whose name spells out other roles gets none of theirs, after those roles were seen", async () => {
    // What a set of roles may do is worked out once per set; a single role named like a set is its own.
    const permissionsOf = async (subject: string, roles: string[]) => {
      const client = await service.as(subject, roles);
      return (await client.request(op.VIEWER)).data!.viewer.permissions as string[];
    };
    expect(await permissionsOf("two-roles", ["user", "admin"])).toContain("audit:read");
    for (const spelled of ["user,admin", "user\nadmin", 'user","admin', '["user","admin"]'])
      expect(await permissionsOf("one-role", [spelled])).toEqual([]);
    expect(await permissionsOf("two-roles-again", ["admin", "user"])).toContain("audit:read");
  });

  test("within its policy a guest gets exactly what it asked for (the positive control)", async () => {
    const sent = await send(tokens.gail, op.ISSUE_MY, { scopes: ["VOIP_JOIN"], minutes: 60 });
    const minted = sent.body.data!.issueMyAccessToken;
    expect(minted.scopes).toEqual(["VOIP_JOIN"]);
    const minutes = (Date.parse(minted.expiresOn) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(58);
    expect(minutes).toBeLessThanOrEqual(60);
  });
});

// Operator mutations, as the roles without the permission. The service role may create identities
// and mint for anyone by policy, so it is refused only delete and revoking others' tokens.
const OPERATOR_MUTATIONS = [
  {
    name: "delete another user's identity",
    document: op.DELETE,
    variables: () => ({ id: ids.alice }),
    action: "identity.delete",
    operation: "Mutation.deleteCommunicationIdentity",
    identityId: () => ids.alice,
    roles: ["user", "guest", "service"],
  },
  {
    name: "delete an identity that does not exist",
    document: op.DELETE,
    variables: () => ({ id: ids.guessed }),
    action: "identity.delete",
    operation: "Mutation.deleteCommunicationIdentity",
    identityId: () => ids.guessed,
    roles: ["user", "guest", "service"],
  },
  {
    name: "create an identity for someone else",
    document: op.CREATE,
    variables: () => ({ owner: "victim" }),
    action: "identity.create",
    operation: "Mutation.createCommunicationIdentity",
    identityId: () => null,
    roles: ["user", "guest"],
  },
  {
    name: "create an identity without an owner",
    document: op.CREATE,
    variables: () => ({}),
    action: "identity.create",
    operation: "Mutation.createCommunicationIdentity",
    identityId: () => null,
    roles: ["user", "guest"],
  },
  {
    name: "create an identity with a token for someone else",
    document: op.CREATE_WITH_TOKEN,
    variables: () => ({ owner: "victim", scopes: ["VOIP_JOIN"] }),
    action: "token.issue",
    operation: "Mutation.createCommunicationIdentityWithToken",
    identityId: () => null,
    roles: ["user", "guest"],
  },
  {
    name: "mint for another user by user id",
    document: op.ISSUE_FOR_USER,
    variables: () => ({ userId: "alice", scopes: ["VOIP_JOIN"] }),
    action: "token.issue",
    operation: "Mutation.issueUserAccessToken",
    identityId: () => null,
    roles: ["user", "guest"],
  },
] as const;
const SUBJECT_OF: Record<string, string> = { user: "eve", guest: "gail", service: "backend" };

describe.each(OPERATOR_MUTATIONS.flatMap((m) => m.roles.map((role) => ({ ...m, role }))))(
  "a $role trying to $name",
  (attack) => {
    test("is FORBIDDEN, changes nothing and is recorded", async () => {
      const subject = SUBJECT_OF[attack.role];
      const attempt = await refused(tokens[subject], attack.document, attack.variables());
      expect(code(attempt)).toBe("FORBIDDEN");
      expect(attempt.body.data).toBeNull();
      expectDenied(attempt.events, {
        actor: subject,
        action: attack.action,
        operation: attack.operation,
        identityId: attack.identityId(),
      });
    });
  },
);

test("deleting a leaked id and a guessed one get the same refusal (the guard answers before any lookup)", async () => {
  for (const role of ["user", "guest", "service"]) {
    const token = tokens[SUBJECT_OF[role]];
    const leaked = await send(token, op.DELETE, { id: ids.alice });
    const guessed = await send(token, op.DELETE, { id: ids.guessed });
    const deleted = await send(token, op.DELETE, { id: ids.deleted });
    expect(guessed.body).toEqual(leaked.body);
    expect(deleted.body).toEqual(leaked.body);
  }
});

describe("operator queries and pagination", () => {
  let adminIdentityCursor: string;
  let adminAuditCursor: string;
  beforeAll(async () => {
    adminIdentityCursor = (await send(tokens.root, op.IDENTITIES, { first: 1 })).body.data!
      .communicationIdentities.pageInfo.endCursor;
    adminAuditCursor = (await send(tokens.root, op.AUDIT, { first: 1 })).body.data!.auditEvents.pageInfo
      .endCursor;
    expect(adminIdentityCursor).toEqual(expect.any(String));
    expect(adminAuditCursor).toEqual(expect.any(String));
  });

  // Filters and cursors that would reveal something if they changed the answer.
  const identityProbes = () => [
    { first: 10 },
    { first: 10, owner: "alice" },
    { first: 10, owner: "no-such-user" },
    { first: 1, after: adminIdentityCursor },
    { first: 10, after: "bm90LWEtY3Vyc29y" },
    { first: 1000 },
  ];
  const auditProbes = () => [
    { first: 10 },
    { first: 10, actor: "alice" },
    { first: 10, actor: "no-such-user" },
    { first: 10, identityId: ids.alice },
    { first: 10, identityId: ids.guessed },
    { first: 1, after: adminAuditCursor },
    { first: 1000 },
  ];

  test.each(["user", "guest"])(
    "a %s may not list identities, whatever the filter or cursor",
    async (role) => {
      const subject = SUBJECT_OF[role];
      const answers = [];
      for (const variables of identityProbes()) {
        const attempt = await refused(tokens[subject], op.IDENTITIES, variables);
        expect(code(attempt)).toBe("FORBIDDEN");
        expect(attempt.body.data).toBeNull();
        expectDenied(attempt.events, {
          actor: subject,
          action: "identity.list",
          operation: "Query.communicationIdentities",
        });
        answers.push(attempt.body);
      }
      for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0]);
    },
  );

  test.each(["user", "guest", "service"])(
    "a %s may not read the audit trail, its own or another user's, whatever the filter or cursor",
    async (role) => {
      const subject = SUBJECT_OF[role];
      const answers = [];
      for (const variables of [...auditProbes(), { first: 10, actor: subject }]) {
        const attempt = await refused(tokens[subject], op.AUDIT, variables);
        expect(code(attempt)).toBe("FORBIDDEN");
        expect(attempt.body.data).toBeNull();
        expectDenied(attempt.events, {
          actor: subject,
          action: "audit.read",
          operation: "Query.auditEvents",
          identityId: "identityId" in variables ? (variables.identityId as string) : null,
        });
        answers.push(attempt.body);
      }
      for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0]);
    },
  );

  test("a service lists identities by its policy (identity:read); an admin reads the audit trail", async () => {
    const listed = await send(tokens.backend, op.IDENTITIES, { first: 100 });
    expect(listed.body.data!.communicationIdentities.nodes.map((n: { id: string }) => n.id)).toEqual(
      expect.arrayContaining([ids.alice, ids.eve]),
    );
    const audit = await send(tokens.root, op.AUDIT, { first: 5, actor: "eve" });
    expect(audit.body.errors).toBeUndefined();
    expect(audit.body.data!.auditEvents.nodes.length).toBeGreaterThan(0);
  });
});

describe("anonymous callers", () => {
  const ATTEMPTS: Array<[string, string, () => Record<string, unknown>]> = [
    ["mint its own", op.ISSUE_MY, () => ({ scopes: ["CHAT"] })],
    ["mint for a leaked id", op.ISSUE, () => ({ id: ids.alice, scopes: ["CHAT"] })],
    ["mint for a guessed id", op.ISSUE, () => ({ id: ids.guessed, scopes: ["CHAT"] })],
    ["mint for a user id", op.ISSUE_FOR_USER, () => ({ userId: "alice", scopes: ["CHAT"] })],
    ["revoke", op.REVOKE, () => ({ id: ids.alice })],
    ["delete", op.DELETE, () => ({ id: ids.alice })],
    ["create", op.CREATE, () => ({ owner: "alice" })],
    ["create with a token", op.CREATE_WITH_TOKEN, () => ({ owner: "alice", scopes: ["CHAT"] })],
    ["read an identity", op.IDENTITY, () => ({ id: ids.alice })],
    ["read its identity", op.MY_IDENTITY, () => ({})],
    ["list identities", op.IDENTITIES, () => ({ first: 10 })],
    ["read the audit trail", op.AUDIT, () => ({ first: 10 })],
  ];
  test.each(ATTEMPTS)(
    "may not %s: UNAUTHENTICATED, nothing changed, and not recorded (free to send, so not worth a row)",
    async (_name, document, variables) => {
      const attempt = await refused(null, document, variables());
      expect(code(attempt)).toBe("UNAUTHENTICATED");
      // Nullable fields answer null beside the error; nothing else comes back.
      expect(Object.values(attempt.body.data ?? {}).every((value) => value === null)).toBe(true);
      expect(attempt.events).toEqual([]);
    },
  );

  test("get the same answer for a leaked id as for a guessed one", async () => {
    const leaked = await send(null, op.ISSUE, { id: ids.alice, scopes: ["CHAT"] });
    const guessed = await send(null, op.ISSUE, { id: ids.guessed, scopes: ["CHAT"] });
    expect(guessed.body).toEqual(leaked.body);
  });
});
