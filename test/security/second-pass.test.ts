// The second security pass (issue 11), end to end over HTTP against the real service: subjects that
// could not be stored exactly, denial floods, caller kinds and request ids in the audit trail, roles
// claims, malformed input, error responses' caching and body-parser messages.
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
      const { rows } = await (
        await import("kysely")
      ).sql<{ n: number }>`select count(*)::int as n from identities where owner like 'mallory%'`.execute(
        service.store.db,
      );
      expect(rows[0].n).toBe(0);
    });

    test.each(UNSTORABLE_SUBJECTS)(
      "an owner, userId or entity id with %s is BAD_USER_INPUT and creates nothing",
      async (_what, subject) => {
        const admin = await service.tokenFor("second-pass-admin", ["admin"]);
        const create = await post(service, admin, op.CREATE, { owner: subject });
        expect(codes(create)).toEqual(["BAD_USER_INPUT"]);
        const withToken = await post(service, admin, op.CREATE_WITH_TOKEN, { owner: subject, scopes: ["CHAT"] });
        expect(codes(withToken)).toEqual(["BAD_USER_INPUT"]);
        const forUser = await post(service, admin, op.ISSUE_FOR_USER, { userId: subject, scopes: ["CHAT"] });
        expect(codes(forUser)).toEqual(["BAD_USER_INPUT"]);
        const entities = await post(service, admin, ENTITIES, { r: [{ __typename: "User", id: subject }] });
        expect(codes(entities)).toEqual(["BAD_USER_INPUT"]);
        const { rows } = await (
          await import("kysely")
        ).sql<{ n: number }>`select count(*)::int as n from identities where owner like 'alice%' or owner like 'ali%'`.execute(
          service.store.db,
        );
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
