// The second security pass (issue 11), end to end over HTTP against the real service: subjects that
// could not be stored exactly, denial floods, caller kinds and request ids in the audit trail, roles
// claims, malformed input, error responses' caching and body-parser messages.
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { sql } from "kysely";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/server/logger";
import * as op from "../support/operations";
import { describeWithPostgres } from "../support/postgres";
import { startTestService, type TestService } from "../support/service";

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: any }> };
}

/** One POST to /graphql with raw fetch, so status and headers can be asserted. */
async function post(
  service: TestService,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(service.graphqlUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as never };
}

const codes = (answer: Answer) => (answer.body.errors ?? []).map((error) => error.extensions?.code);

/** Subjects that UTF-8 (and so the database) cannot hold as they are, or that would mislead a reader. */
const UNSTORABLE_SUBJECTS = [
  ["an unpaired high surrogate", "alice\ud800"],
  ["an unpaired low surrogate", "alice\udfff"],
  ["NUL", "alice\u0000"],
  ["a right-to-left override (format character)", "alice\u202e"],
  ["a zero-width space", "ali\u200bce"],
  ["a line separator", "alice\u2028"],
] as const;

function subjectSuite(label: string, database: () => TestService["config"]["database"] | undefined) {
  describe(`subjects are stored exactly or refused (${label})`, () => {
    let service: TestService;
    beforeAll(async () => {
      service = await startTestService({}, { database: database() });
    }, 60_000);
    afterAll(() => service?.stop());

    test.each(UNSTORABLE_SUBJECTS)("a bearer subject with %s is refused (401)", async (_what, subject) => {
      const answer = await post(service, await service.tokenFor(subject, ["user"]), op.ISSUE_MY, {
        scopes: ["CHAT"],
      });
      expect(answer.status).toBe(401);
      expect(codes(answer)).toEqual(["UNAUTHENTICATED"]);
      expect(answer.body.errors![0].message).toMatch(/subject must not contain/);
    });

    test("two users whose subjects differ only in an unpaired surrogate never share an identity", async () => {
      const first = await post(service, await service.tokenFor("mallory\ud800", ["user"]), op.ISSUE_MY, {
        scopes: ["CHAT"],
      });
      const second = await post(service, await service.tokenFor("mallory\udfff", ["user"]), op.ISSUE_MY, {
        scopes: ["CHAT"],
      });
      expect([first.status, second.status]).toEqual([401, 401]);
      const { rows } = await sql<{
        n: number;
      }>`select count(*)::int as n from identities where owner like 'mallory%'`.execute(service.store.db);
      expect(rows[0].n).toBe(0);
    });

    test.each(UNSTORABLE_SUBJECTS)(
      "an owner, userId or entity id with %s is BAD_USER_INPUT and creates nothing",
      async (_what, subject) => {
        const admin = await service.tokenFor("second-pass-admin", ["admin"]);
        const create = await post(service, admin, op.CREATE, { owner: subject });
        expect(codes(create)).toEqual(["BAD_USER_INPUT"]);
        const withToken = await post(service, admin, op.CREATE_WITH_TOKEN, {
          owner: subject,
          scopes: ["CHAT"],
        });
        expect(codes(withToken)).toEqual(["BAD_USER_INPUT"]);
        const forUser = await post(service, admin, op.ISSUE_FOR_USER, { userId: subject, scopes: ["CHAT"] });
        expect(codes(forUser)).toEqual(["BAD_USER_INPUT"]);
        const entities = await post(service, admin, ENTITIES, { r: [{ __typename: "User", id: subject }] });
        expect(codes(entities)).toEqual(["BAD_USER_INPUT"]);
        const { rows } = await sql<{
          n: number;
        }>`select count(*)::int as n from identities where owner like 'ali%'`.execute(service.store.db);
        expect(rows[0].n).toBe(0);
      },
    );

    test("an owner's identity cannot be reached through an entity id that the driver would rewrite", async () => {
      const admin = await service.tokenFor("second-pass-admin", ["admin"]);
      const created = await post(service, admin, op.CREATE, { owner: "carol\ufffd" });
      expect(created.body.data?.createCommunicationIdentity.owner).toBe("carol\ufffd");
      const reader = await post(service, admin, ENTITIES, {
        r: [{ __typename: "User", id: "carol\ud800" }],
      });
      expect(codes(reader)).toEqual(["BAD_USER_INPUT"]);
    });
  });
}

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on CommunicationIdentity { id owner } ... on User { id communicationIdentity { id owner } } } }`;

subjectSuite("embedded database", () => undefined);
describeWithPostgres("on PostgreSQL", (database) => {
  subjectSuite("PostgreSQL", () => ({ kind: "postgres", url: database().url, poolSize: 4 }));
});

/** Every entry under `dir` (itself included) whose mode lets group or others in, as "mode path". */
function openToOthers(dir: string): string[] {
  const found: string[] = [];
  const visit = (entry: string) => {
    const stats = lstatSync(entry);
    if (stats.isSymbolicLink()) return;
    if (stats.mode & 0o077) found.push(`${(stats.mode & 0o777).toString(8)} ${entry}`);
    if (stats.isDirectory()) for (const name of readdirSync(entry)) visit(path.join(entry, name));
  };
  visit(dir);
  return found;
}

describe("the data folder is private to the service's user", () => {
  const posix = typeof process.getuid === "function";
  const made: string[] = [];
  const existingDataDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "second-pass-data-"));
    made.push(dir);
    chmodSync(dir, 0o755); // as `mkdir` leaves it with the usual umask
    return dir;
  };
  afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  (posix ? test : test.skip)(
    "an existing DATA_DIR, its embedded database and the signing key end up 0700/0600, before and after the database wrote its files",
    async () => {
      const dataDir = existingDataDir();
      mkdirSync(path.join(dataDir, "emulator"), { mode: 0o777 });
      chmodSync(path.join(dataDir, "emulator"), 0o777);
      writeFileSync(path.join(dataDir, "emulator", "left-over.json"), "{}", { mode: 0o666 });
      chmodSync(path.join(dataDir, "emulator", "left-over.json"), 0o666);
      const service = await startTestService(
        {},
        { dataDir, database: { kind: "embedded", dir: path.join(dataDir, "db") } },
      );
      try {
        expect(openToOthers(dataDir)).toEqual([]);
        expect(readdirSync(path.join(dataDir, "db")).length).toBeGreaterThan(10); // PGlite's files are there
        expect(lstatSync(path.join(dataDir, "dev-issuer.json")).mode & 0o777).toBe(0o600);
      } finally {
        await service.stop();
      }
      // A second start over the same folder (PGlite reopening it) leaves it private as well.
      const again = await startTestService(
        {},
        { dataDir, database: { kind: "embedded", dir: path.join(dataDir, "db") } },
      );
      await again.stop();
      expect(openToOthers(dataDir)).toEqual([]);
    },
    120_000,
  );

  (posix ? test : test.skip)(
    "a signing key that others could read refuses the start and says what to do",
    async () => {
      const dataDir = existingDataDir();
      const first = await startTestService({}, { dataDir });
      await first.stop();
      chmodSync(path.join(dataDir, "dev-issuer.json"), 0o644);
      await expect(startTestService({}, { dataDir })).rejects.toThrow(
        /dev-issuer\.json \(the development token issuer's signing key\) has mode 0644.*Delete it/,
      );
    },
    60_000,
  );

  (posix && process.getuid!() === 0 ? test : test.skip)(
    "an entry that belongs to another user refuses the start, naming it",
    async () => {
      const dataDir = existingDataDir();
      writeFileSync(path.join(dataDir, "planted"), "");
      chownSync(path.join(dataDir, "planted"), 65534, 65534);
      await expect(startTestService({}, { dataDir })).rejects.toThrow(
        /planted belongs to user 65534, not to the service's user/,
      );
    },
    60_000,
  );
});

describe("the audit trail: denial budget and aggregation, caller kinds, our own request ids", () => {
  let service: TestService;
  let aliceIdentity: string;
  beforeAll(async () => {
    service = await startTestService({ AUDIT_DENIAL_WINDOW_SECONDS: "2" });
    const alice = await post(service, await service.tokenFor("alice", ["user"]), op.ISSUE_MY, {
      scopes: ["CHAT"],
    });
    aliceIdentity = alice.body.data!.issueMyAccessToken.identity.id;
  }, 60_000);
  afterAll(() => service?.stop());

  const rowsOf = async (actor: string) =>
    (
      await sql<{
        error_code: string;
        count: number;
        caller_kind: string;
      }>`select error_code, count, caller_kind from audit_events where actor = ${actor} order by at`.execute(
        service.store.db,
      )
    ).rows;

  test("a guest's flood of aliased reads of someone else's identity is budgeted and aggregated", async () => {
    // Five aliases (the root-field limit) per request, twenty requests: 100 denied reads.
    const FLOOD = `query($id: ID!) { a: communicationIdentity(id: $id) { id } b: communicationIdentity(id: $id) { id } c: communicationIdentity(id: $id) { id } d: communicationIdentity(id: $id) { id } e: communicationIdentity(id: $id) { id } }`;
    const guest = await service.tokenFor("flooding-guest", ["guest"]);
    const answers: Answer[] = [];
    for (let i = 0; i < 20; i += 1) answers.push(await post(service, guest, FLOOD, { id: aliceIdentity }));
    const allCodes = answers.flatMap(codes);
    // The budget (30 denials a minute by default) answers the rest RATE_LIMITED, with a retry hint.
    expect(allCodes.filter((code) => code === "RATE_LIMITED")).toHaveLength(70);
    expect(answers.at(-1)!.body.errors![0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    // Nothing of alice's leaks either way.
    expect(JSON.stringify(answers.map((a) => a.body.data))).not.toContain(aliceIdentity);

    // A handful of events (one per kind of denial per window), whose counts add up to every attempt.
    const settled = async () => {
      for (;;) {
        const rows = await rowsOf("flooding-guest");
        if (rows.reduce((sum, row) => sum + row.count, 0) === 100) return rows;
        await new Promise((resolve) => setTimeout(resolve, 250)); // the 2 s aggregation window closing
      }
    };
    const rows = await settled();
    expect(rows.length).toBeLessThanOrEqual(12);
    const total = (code: string) =>
      rows.filter((row) => row.error_code === code).reduce((sum, row) => sum + row.count, 0);
    expect(total("FORBIDDEN")).toBe(30);
    expect(total("RATE_LIMITED")).toBe(70);

    // Alice is not affected by the guest's budget.
    const own = await post(service, await service.tokenFor("alice", ["user"]), op.IDENTITY, {
      id: aliceIdentity,
    });
    expect(own.body.data!.communicationIdentity.id).toBe(aliceIdentity);
  }, 60_000);

  test("a subject named `anonymous` is recorded as a subject, told apart from anonymous callers", async () => {
    const impostor = await service.tokenFor("anonymous", ["guest"]);
    await post(service, impostor, op.IDENTITY, { id: aliceIdentity });
    const admin = await service.tokenFor("auditor", ["admin"]);
    const audit = await post(
      service,
      admin,
      `query { auditEvents(first: 10, actor: "anonymous") { nodes { actor callerKind action outcome } } }`,
    );
    expect(audit.body.data!.auditEvents.nodes).toEqual([
      { actor: "anonymous", callerKind: "subject", action: "identity.read", outcome: "denied" },
    ]);
  });

  test("the request id is always ours; the client's own id is kept beside it", async () => {
    const chosen = "victim-request-0001";
    const denied = await post(
      service,
      await service.tokenFor("request-id-guest", ["guest"]),
      op.IDENTITY,
      { id: aliceIdentity },
      { "x-request-id": chosen },
    );
    const ours = denied.headers.get("x-request-id")!;
    expect(ours).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const { rows } = await sql<{
      request_id: string;
      client_request_id: string;
    }>`select request_id, client_request_id from audit_events where actor = 'request-id-guest'`.execute(
      service.store.db,
    );
    expect(rows).toEqual([{ request_id: ours, client_request_id: chosen }]);
    const admin = await service.tokenFor("auditor", ["admin"]);
    const audit = await post(
      service,
      admin,
      `query { auditEvents(first: 1, actor: "request-id-guest") { nodes { requestId clientRequestId count } } }`,
    );
    expect(audit.body.data!.auditEvents.nodes).toEqual([
      { requestId: ours, clientRequestId: chosen, count: 1 },
    ]);
  });
});

describe("production configuration", () => {
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error("expected the configuration to be refused");
  };

  test("NODE_ENV=production without ACS settings refuses the embedded emulator, naming the settings", () => {
    const message = refusal({
      NODE_ENV: "production",
      AUTH_ISSUER: "https://login.example/tenant/v2.0",
      AUTH_AUDIENCE: "api://acs-identity-graph",
    });
    expect(message).toMatch(
      /ACS_ENDPOINT: .*never the embedded emulator.*ACS_ENDPOINT.*ACS_CONNECTION_STRING/,
    );
  });

  test("every production problem is reported in one message, and none sends people the wrong way", () => {
    const message = refusal({ NODE_ENV: "production", PORT: "not-a-port", AUTH_ALLOW_DEV_TOKENS: "true" });
    const settings = [...message.matchAll(/^ {2}(\w+):/gm)].map((m) => m[1]);
    expect(settings.sort()).toEqual(
      ["ACS_ENDPOINT", "AUTH_ALLOW_DEV_TOKENS", "AUTH_AUDIENCE", "AUTH_ISSUER", "PORT"].sort(),
    );
    // AUTH_JWKS_URL alone is refused in production: the message must not offer it as the way out.
    expect(message).not.toMatch(/set AUTH_ISSUER or AUTH_JWKS_URL/);
    expect(message).toMatch(/AUTH_ISSUER: .*set AUTH_ISSUER and AUTH_AUDIENCE/);
  });

  test("a complete production configuration loads", () => {
    const config = loadConfig({
      NODE_ENV: "production",
      AUTH_ISSUER: "https://login.example/tenant/v2.0",
      AUTH_AUDIENCE: "api://acs-identity-graph",
      ACS_ENDPOINT: "https://acs.example.communication.azure.com",
    });
    expect(config.acs.kind).toBe("entra");
  });
});

describe("malformed input is BAD_USER_INPUT (or Apollo's own code), never INTERNAL; errors are never cached", () => {
  let service: TestService;
  const logged: Array<{ level: number; msg: string }> = [];
  beforeAll(async () => {
    const logger = createLogger("info", {
      write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }),
    });
    service = await startTestService({}, { logger });
  }, 60_000);
  afterAll(() => service?.stop());
  const errorsLogged = () => logged.filter((line) => line.level >= 50);

  const cursor = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString("base64url");

  test.each([
    ["identities", "a time out of PostgreSQL's range", ["i1", -8_000_000_000_000_000, "8:acs:x_y"]],
    ["identities", "a NUL in the id", ["i1", 0, "8:acs:x\u0000y"]],
    [
      "audit",
      "a time out of PostgreSQL's range",
      ["a1", 8_000_000_000_000_000, "0198a0b0-0000-7000-8000-000000000000"],
    ],
  ])("a %s cursor holding %s", async (listing, _what, parts) => {
    const admin = await service.tokenFor("cursor-admin", ["admin"]);
    const answer = await post(service, admin, listing === "audit" ? op.AUDIT : op.IDENTITIES, {
      first: 5,
      after: cursor(parts),
    });
    expect(codes(answer)).toEqual(["BAD_USER_INPUT"]);
    expect(errorsLogged()).toEqual([]);
  });

  test("an object where an entity id is expected", async () => {
    const admin = await service.tokenFor("entity-admin", ["admin"]);
    for (const typename of ["CommunicationIdentity", "User"]) {
      const answer = await post(service, admin, ENTITIES, { r: [{ __typename: typename, id: { $gt: "" } }] });
      expect(codes(answer)).toEqual(["BAD_USER_INPUT"]);
    }
    expect(errorsLogged()).toEqual([]);
  });

  test("a persisted query whose hash does not match its text", async () => {
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: "{ viewer { authenticated } }",
        extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } },
      }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Answer["body"];
    expect(body.errors!.map((e) => e.extensions.code)).toEqual(["BAD_USER_INPUT"]);
    expect(errorsLogged()).toEqual([]);
  });

  test.each([
    [
      "401 (a bad bearer token)",
      { authorization: "Bearer a.b.c" },
      '{"query":"{ viewer { authenticated } }"}',
      401,
    ],
    ["400 (malformed JSON)", {}, "{not json", 400],
    [
      "413 (too large)",
      {},
      JSON.stringify({ query: `{ viewer { authenticated } } #${"x".repeat(200_000)}` }),
      413,
    ],
  ])("a %s answer says cache-control: no-store", async (_what, headers, body, status) => {
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    expect(response.status).toBe(status);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  test.each([
    [
      "an unsupported charset",
      { "content-type": "application/json; charset=latin1" },
      /charset "latin1" is not supported/,
    ],
    [
      "an unsupported content encoding",
      { "content-encoding": "compress" },
      /content encoding "compress" is not supported/,
    ],
  ])("a 415 for %s says so, not that the JSON is invalid", async (_what, headers, message) => {
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: '{"query":"{ viewer { authenticated } }"}',
    });
    expect(response.status).toBe(415);
    const body = (await response.json()) as Answer["body"];
    expect(body.errors![0].message).toMatch(message);
    expect(body.errors![0].message).not.toMatch(/not valid JSON/);
    expect(body.errors![0].extensions.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(response.headers.get("cache-control")).toBe("no-store");
  });
});

describe("a roles claim given as a string", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  }, 60_000);
  afterAll(() => service?.stop());

  test("is split on ASCII spaces only: guest\\u3000admin is one unknown role, never guest and admin", async () => {
    const sign = (roles: unknown) => service.devIssuer!.sign({ sub: "roles-user", roles: roles as string[] });
    const viewer = async (roles: unknown) =>
      (await post(service, await sign(roles), "{ viewer { roles permissions } }")).body.data!.viewer;
    const ideographic = await viewer("guest\u3000admin");
    expect(ideographic.roles).toEqual(["guest\u3000admin"]);
    expect(ideographic.permissions).not.toContain("identity:delete");
    expect((await viewer("guest admin")).roles).toEqual(["guest", "admin"]);
    expect((await viewer(["guest", "admin"])).roles).toEqual(["guest", "admin"]);
  });
});
