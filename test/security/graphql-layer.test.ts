// GraphQL-layer attacks, end to end over HTTP against the whole service (in-process ACS emulator,
// embedded database in memory). Each attack must be refused with a stable code and leave no trace: no
// ACS call, no identity row, no audit row. Positive controls show the limits are not refusing everything.
import { getIntrospectionQuery, GraphQLError, parse, specifiedRules, validate } from "graphql";
import net from "node:net";
import { gzipSync } from "node:zlib";
import { loadConfig } from "../../src/config";
import { AppError, ErrorCode } from "../../src/errors";
import { buildFederatedSchema } from "../../src/schema/build-schema";
import { createFormatError, formatError } from "../../src/server/format-error";
import { SINGLE_MINT_MUTATIONS } from "../../src/schema/operations";
import { countTokens, queryLimitRules, type QueryMeasure } from "../../src/server/query-limits";
import * as op from "../support/operations";
import { preflight as preflightFrom } from "../support/graphql-client";
import { startProductionTestService, startTestService, type TestService } from "../support/service";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

const APP_ORIGIN = "http://app.example.test:5173";
const EVIL_ORIGIN = "https://evil.example";

interface RawResult {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, any> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

/** A raw POST: the Apollo client would hide statuses, batching and headers. */
async function post(
  service: TestService,
  body: unknown,
  options: { bearer?: string; headers?: Record<string, string> } = {},
): Promise<RawResult> {
  const response = await fetch(service.graphqlUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}),
      ...options.headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

/** Everything an operation could have changed: ACS calls, identities, audit events. */
async function effects(service: TestService) {
  const count = async (table: "identities" | "audit_events") =>
    Number(
      (
        await service.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const { requests, identitiesCreated, tokensIssued } = service.emulator!.stats();
  return {
    acsRequests: requests,
    identitiesCreated,
    tokensIssued,
    identities: await count("identities"),
    auditEvents: await count("audit_events"),
  };
}

/** Runs `attack` and asserts it changed nothing anywhere. */
async function withoutEffects<T>(service: TestService, attack: () => Promise<T>): Promise<T> {
  const before = await effects(service);
  const result = await attack();
  expect(await effects(service)).toEqual(before);
  return result;
}

/** The refusal shape of every query limit: 400, GRAPHQL_VALIDATION_FAILED, the limit named, no data. */
function expectLimit(result: RawResult, limit: string) {
  expect(result.status).toBe(400);
  expect(result.body.data).toBeUndefined();
  expect(result.body.errors).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ extensions: { code: "GRAPHQL_VALIDATION_FAILED", limit } }),
    ]),
  );
}

function expectNoStack(result: RawResult) {
  expect(JSON.stringify(result.body)).not.toMatch(/stacktrace|\bat .+\.(ts|js):\d+/);
}

/** An issuer's key endpoint with no keys: production needs one, these tests send no bearer tokens. */

const MINT = `issueMyAccessToken(scopes: [CHAT]) { token }`;
const fields = (n: number, field: string) => Array.from({ length: n }, () => field).join(" ");
const aliased = (n: number, field: string) =>
  Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ");
/** `__type` nests `ofType` freely (the schema's own types are acyclic and at most 3 deep). */
const deepType = (ofTypes: number) =>
  `{ __type(name: "Query") { fields { type { ${"ofType { ".repeat(ofTypes)}name${" }".repeat(ofTypes)} } } } }`;

describe("with the default limits (NODE_ENV=test)", () => {
  let service: TestService;
  let alice: string;
  let admin: string;
  beforeAll(async () => {
    service = await startTestService({ CORS_ORIGINS: APP_ORIGIN });
    alice = await service.tokenFor("alice", ["user"]);
    admin = await service.tokenFor("ops", ["admin"]);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(() => service?.stop());

  describe("positive controls", () => {
    test("a normal mint succeeds and reaches ACS once", async () => {
      const before = await effects(service);
      const result = await post(
        service,
        { query: op.ISSUE_MY, variables: { scopes: ["CHAT", "VOIP"] } },
        { bearer: alice },
      );
      expect(result.status).toBe(200);
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data!.issueMyAccessToken.token).toMatch(/^ey/);
      const after = await effects(service);
      expect(after.tokensIssued - before.tokensIssued).toBe(1);
      // A response holding a token is never stored by a cache, fingerprinted or sniffed.
      expect(result.headers.get("cache-control")).toBe("no-store");
      expect(result.headers.get("etag")).toBeNull();
      expect(result.headers.get("x-content-type-options")).toBe("nosniff");
    });

    test("the largest legitimate query passes: a full page of 100 audit events (cost 3500)", async () => {
      const query = op.AUDIT.replace("auditEvents(first: $first", "auditEvents(first: 100");
      const result = await post(service, { query: query.replace("$first: Int, ", "") }, { bearer: admin });
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data!.auditEvents.nodes.length).toBeGreaterThan(0);
    });

    test("every operation at its limits passes: depth 10, 15 aliases, 5 root fields, 10 directives, 2000 tokens", async () => {
      const atLimits = [
        deepType(6),
        `{ viewer { ${aliased(15, "authenticated")} } }`,
        `{ ${aliased(5, "viewer { authenticated }")} }`,
        `{ viewer { ${fields(10, "__typename @include(if: true)")} } }`,
        // Aliases of __typename are free (GraphQL Armor's allow-list) and cost 1.5 each.
        `{ viewer { authenticated subject roles ${aliased(664, "__typename")} } }`,
      ];
      expect(countTokens(atLimits[4], 10_000)).toBe(2000);
      for (const query of atLimits) {
        const result = await post(service, { query });
        expect({ query: query.slice(0, 60), errors: result.body.errors }).toEqual({
          query: query.slice(0, 60),
          errors: undefined,
        });
      }
    });

    test("Sandbox's introspection query passes the limits where introspection is on", async () => {
      const result = await post(service, { query: getIntrospectionQuery({ inputValueDeprecation: true }) });
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data!.__schema.types.length).toBeGreaterThan(10);
    });
  });

  describe("query shape limits", () => {
    test.each([
      ["depth 11 through __type", deepType(7), "depth"],
      [
        "depth 11 hidden in fragments",
        `{ __type(name: "Query") { ...F } } fragment F on __Type { fields { type { ...G } } }
         fragment G on __Type { ${"ofType { ".repeat(7)}name${" }".repeat(7)} }`,
        "depth",
      ],
      ["16 aliases", `{ viewer { ${aliased(16, "authenticated")} } }`, "aliases"],
      [
        "16 aliases in a fragment",
        `{ viewer { ...V } } fragment V on Viewer { ${aliased(16, "subject")} }`,
        "aliases",
      ],
      ["6 root fields", `{ ${aliased(6, "viewer { authenticated }")} }`, "rootFields"],
      [
        "6 root fields, unaliased",
        `{ viewer { authenticated } ${fields(5, "myCommunicationIdentity { id }")} }`,
        "rootFields",
      ],
      [
        "6 root fields through a fragment",
        `{ ...Q } fragment Q on Query { ${aliased(6, "viewer { subject }")} }`,
        "rootFields",
      ],
      [
        "6 root fields through inline fragments",
        `{ ${fields(6, "... on Query { viewer { roles } }")} }`,
        "rootFields",
      ],
      ["11 directives", `{ viewer { ${fields(11, "__typename @include(if: true)")} } }`, "directives"],
      [
        "11 directives in a fragment",
        `{ viewer { ...D } } fragment D on Viewer { ${fields(11, "roles @skip(if: false)")} }`,
        "directives",
      ],
      [
        "cost: two full pages in one operation (6122)",
        `{ communicationIdentities(first: 100) { nodes { ${op.IDENTITY_FIELDS} } pageInfo { endCursor hasNextPage } }
           auditEvents(first: 100) { nodes { id at actor action identityId scopes expiresOn outcome errorCode requestId } pageInfo { endCursor hasNextPage } } }`,
        "cost",
      ],
      [
        "cost: a page of 2000 (resolvers cap at 100; the cost rule refuses it first)",
        `{ auditEvents(first: 2000) { nodes { id actor } } }`,
        "cost",
      ],
    ])("%s is refused", async (_name, query, limit) => {
      const result = await withoutEffects(service, () => post(service, { query }, { bearer: admin }));
      expectLimit(result, limit);
    });

    test("2001 tokens are refused before parsing, with the GraphQL error shape", async () => {
      const query = `{ viewer { ${fields(1996, "__typename")} } }`;
      expect(countTokens(query, 10_000)).toBe(2001);
      // Signed in: an anonymous body this large is refused unread (ANONYMOUS_MAX_REQUEST_BYTES), below.
      const result = await withoutEffects(service, () => post(service, { query }, { bearer: admin }));
      expectLimit(result, "tokens");
      expect(result.body.errors![0].message).toBe("Token limit of 2000 exceeded.");
    });

    test("the token limit holds for GET queries too", async () => {
      const query = `{ viewer { ${fields(1996, "a")} } }`;
      const response = await fetch(`${service.graphqlUrl}?query=${encodeURIComponent(query)}`, {
        headers: { "apollo-require-preflight": "true" },
      });
      expectLimit(
        {
          status: response.status,
          headers: response.headers,
          body: (await response.json()) as RawResult["body"],
        },
        "tokens",
      );
    });

    test("a mint padded past the token limit never reaches ACS", async () => {
      const query = `mutation { issueMyAccessToken(scopes: [${fields(2000, "CHAT,")} CHAT]) { token } }`;
      expectLimit(await withoutEffects(service, () => post(service, { query }, { bearer: alice })), "tokens");
    });

    test("a document as large as the body limit allows is refused quickly (parsing stops at the limit)", async () => {
      const query = `{ viewer { ${fields(9_000, "__typename")} } }`; // about 99 kB, 9006 tokens
      // No stopwatch here (a busy machine is slow, not wrong): a parse without the limit would still
      // answer, but with a validation error, not the token limit. Parse speed is benchmarked.
      expectLimit(await post(service, { query }, { bearer: admin }), "tokens");
    });

    test("fragment fan-out (each fragment spreading the next twice) is measured without blowing up", async () => {
      const levels = 30;
      const fragments = Array.from({ length: levels }, (_, i) =>
        i === levels - 1
          ? `fragment F${i} on Query { viewer { authenticated } }`
          : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
      ).join("\n");
      // 2^29 root fields, counted by memo, not by walking them: a walk would not end within the test's
      // timeout, so no stopwatch is needed (a busy machine is slow, not wrong).
      const result = await post(service, { query: `{ ...F0 }\n${fragments}` });
      expectLimit(result, "rootFields");
    });
  });

  describe("mints cannot be multiplied in one request", () => {
    test.each([
      ["two aliases of one mint", `mutation { a: ${MINT} b: ${MINT} }`],
      ["aliased mints within every other limit", `mutation { ${aliased(5, MINT)} }`],
      ["the same mint twice, unaliased", `mutation { ${MINT} ${MINT} }`],
      ["a mint and a mint in a fragment", `mutation { a: ${MINT} ...M } fragment M on Mutation { ${MINT} }`],
      ["one fragment spread twice", `mutation { ...M ...M } fragment M on Mutation { ${MINT} }`],
      [
        "mints in inline fragments",
        `mutation { ... on Mutation { a: ${MINT} } ... on Mutation { b: ${MINT} } }`,
      ],
      [
        "two different mint fields",
        `mutation { ${MINT} createCommunicationIdentityWithToken(owner: "bob", scopes: [CHAT]) { token } }`,
      ],
      [
        "a mint and an identity creation",
        `mutation { ${MINT} createCommunicationIdentity(owner: "carol") { id } }`,
      ],
      [
        "two identity creations",
        `mutation { a: createCommunicationIdentity { id } b: createCommunicationIdentity { id } }`,
      ],
      [
        "issueAccessToken and issueUserAccessToken",
        `mutation { issueUserAccessToken(userId: "ops", scopes: [CHAT]) { token }
                    issueAccessToken(identityId: "8:acs:x", scopes: [CHAT]) { token } }`,
      ],
    ])("%s", async (_name, query) => {
      const result = await withoutEffects(service, () => post(service, { query }, { bearer: admin }));
      expectLimit(result, "oneMintPerOperation");
      expect(result.body.errors![0].message).toMatch(/at most once/);
    });

    test("a batched request (a JSON array of operations) is refused", async () => {
      const one = { query: op.ISSUE_MY, variables: { scopes: ["CHAT"] } };
      const result = await withoutEffects(service, () => post(service, [one, one, one], { bearer: alice }));
      expect(result.status).toBe(400);
      expect(JSON.stringify(result.body)).toMatch(/batch/i);
    });

    test("every mutation that returns a token is in the one-mint rule", async () => {
      const mutation = (await buildFederatedSchema()).getMutationType()!;
      const minting = Object.values(mutation.getFields())
        .filter((field) => String(field.type).replace(/!/g, "") === "AccessToken")
        .map((field) => field.name);
      expect(minting.length).toBeGreaterThanOrEqual(4);
      for (const name of [...minting, "createCommunicationIdentity"])
        expect(SINGLE_MINT_MUTATIONS.has(name)).toBe(true);
    });

    test("revokes and deletes may share an operation (bounded by the root-field limit and rate limits)", async () => {
      const result = await post(
        service,
        {
          query: `mutation { a: revokeAccessTokens(identityId: "8:acs:none") { id } b: revokeAccessTokens(identityId: "8:acs:other") { id } }`,
        },
        { bearer: admin },
      );
      expect(result.body.errors?.map((e) => e.extensions?.code)).not.toContain("GRAPHQL_VALIDATION_FAILED");
    });
  });

  describe("field suggestions and errors", () => {
    test("suggestions are on outside production (the default): a misspelling gets a hint", async () => {
      const result = await post(service, { query: "{ viewer { authenticatd } }" });
      expect(result.body.errors![0].message).toMatch(/Did you mean "authenticated"\?/);
    });
  });

  describe("CSRF prevention", () => {
    const mintUrl = () => `${service.graphqlUrl}?query=${encodeURIComponent(`mutation { ${MINT} }`)}`;

    test("a GET mutation without a preflight header is refused as CSRF", async () => {
      const response = await withoutEffects(service, () =>
        fetch(mintUrl(), { headers: { authorization: `Bearer ${alice}` } }),
      );
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/CSRF/);
    });

    test("a GET mutation with a preflight header is still refused: mutations need POST", async () => {
      const response = await withoutEffects(service, () =>
        fetch(mintUrl(), {
          headers: { authorization: `Bearer ${alice}`, "apollo-require-preflight": "true" },
        }),
      );
      expect(response.status).toBe(405);
    });

    test.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])(
      "a POST as %s (a form a page can send without preflight) is refused as CSRF",
      async (contentType) => {
        const response = await withoutEffects(service, () =>
          fetch(service.graphqlUrl, {
            method: "POST",
            headers: { "content-type": contentType, origin: EVIL_ORIGIN, authorization: `Bearer ${alice}` },
            body: JSON.stringify({ query: `mutation { ${MINT} }` }),
          }),
        );
        expect(response.status).toBe(400);
        expect(await response.text()).toMatch(/CSRF/);
      },
    );

    test("a POST without a content type is refused as CSRF", async () => {
      const response = await withoutEffects(service, () =>
        fetch(service.graphqlUrl, {
          method: "POST",
          headers: { authorization: `Bearer ${alice}` },
          body: new Blob([JSON.stringify({ query: `mutation { ${MINT} }` })]),
        }),
      );
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/CSRF/);
    });
  });

  describe("CORS", () => {
    const preflight = (origin: string) => preflightFrom(service.graphqlUrl, origin);

    test("a preflight from the allowed origin gets that origin back, never *, and no credentials", async () => {
      const response = await preflight(APP_ORIGIN);
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
      expect(response.headers.get("vary")).toMatch(/origin/i);
    });

    test.each([
      EVIL_ORIGIN,
      "null",
      "http://app.example.test:5174",
      "http://app.example.test:5173.evil.example",
    ])("a preflight from %s is refused", async (origin) => {
      const response = await preflight(origin);
      expect(response.status).toBe(403);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    });

    test("a request from another origin gets no CORS headers, so its page cannot read the answer", async () => {
      const result = await post(service, { query: op.VIEWER }, { headers: { origin: EVIL_ORIGIN } });
      expect(result.headers.get("access-control-allow-origin")).toBeNull();
      const allowed = await post(service, { query: op.VIEWER }, { headers: { origin: APP_ORIGIN } });
      expect(allowed.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    });
  });

  describe("request body size", () => {
    test("a body over MAX_REQUEST_BYTES gets 413 in GraphQL's error shape, and changes nothing", async () => {
      const padding = "x".repeat(service.config.http.maxRequestBytes);
      const result = await withoutEffects(service, () =>
        post(service, { query: op.ISSUE_MY, variables: { scopes: ["CHAT"], padding } }, { bearer: alice }),
      );
      expect(result.status).toBe(413);
      expect(result.body).toEqual({
        errors: [
          { message: expect.stringMatching(/larger than \d+ bytes/), extensions: { code: "BAD_REQUEST" } },
        ],
      });
    });

    test("without a bearer token, a body over ANONYMOUS_MAX_REQUEST_BYTES gets 413 unread", async () => {
      const limit = service.config.http.anonymousMaxRequestBytes;
      expect(limit).toBeLessThan(service.config.http.maxRequestBytes);
      const representations = Array.from({ length: 2_500 }, (_, i) => ({ __typename: "User", id: `u${i}` }));
      const entities = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }";
      expect(JSON.stringify(representations).length).toBeGreaterThan(limit);
      const result = await withoutEffects(service, () =>
        post(service, { query: entities, variables: { r: representations } }),
      );
      expect(result.status).toBe(413);
      expect(result.body).toEqual({
        errors: [
          {
            message: `Without a bearer token the request body may be at most ${limit} bytes.`,
            extensions: { code: "BAD_REQUEST" },
          },
        ],
      });
      // The same body with a bearer token is read (and then refused by the representation cap).
      const signedIn = await post(
        service,
        { query: entities, variables: { r: representations } },
        { bearer: alice },
      );
      expect(signedIn.status).not.toBe(413);
    });

    test("a bad bearer token is answered 401 before the body is read: even an oversized one", async () => {
      const padding = "x".repeat(service.config.http.maxRequestBytes);
      const result = await withoutEffects(service, () =>
        post(
          service,
          { query: op.ISSUE_MY, variables: { scopes: ["CHAT"], padding } },
          { bearer: "not.a.jwt" },
        ),
      );
      expect(result.status).toBe(401);
      expect(result.body.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    });

    test("a compressed body is limited after decompression (a gzip bomb gets 413)", async () => {
      const bomb = gzipSync(
        JSON.stringify({
          query: op.ISSUE_MY,
          variables: { scopes: ["CHAT"], padding: " ".repeat(20_000_000) },
        }),
      );
      expect(bomb.length).toBeLessThan(service.config.http.maxRequestBytes);
      const response = await withoutEffects(service, () =>
        fetch(service.graphqlUrl, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "content-encoding": "gzip",
            authorization: `Bearer ${alice}`,
          },
          body: bomb,
        }),
      );
      expect(response.status).toBe(413);
    });
  });
});

describe("in production (NODE_ENV=production)", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startProductionTestService();
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(() => service?.stop());

  test.each([
    ["__schema", "{ __schema { types { name } } }"],
    ["__type", '{ __type(name: "AccessToken") { fields { name } } }'],
    ["__type inside a fragment", '{ ...I } fragment I on Query { __type(name: "Mutation") { name } }'],
  ])("introspection through %s is refused", async (_name, query) => {
    const result = await post(service, { query });
    expect(result.status).toBe(400);
    expect(result.body.errors![0].extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(JSON.stringify(result.body)).not.toMatch(/issueMyAccessToken|"token"/);
  });

  test("the federation SDL (`_service`) is refused too: it is the whole schema", async () => {
    const result = await post(service, { query: "{ _service { sdl } }" });
    expectLimit(result, "introspection");
    expect(JSON.stringify(result.body)).not.toMatch(/issueMyAccessToken/);
  });

  test("__typename still works (clients add it everywhere)", async () => {
    const result = await post(service, { query: "{ __typename viewer { __typename authenticated } }" });
    expect(result.body).toEqual({
      data: { __typename: "Query", viewer: { __typename: "Viewer", authenticated: false } },
    });
  });

  test("a misspelled field gets no suggestion", async () => {
    const result = await post(service, { query: "{ viewer { authenticatd } }" });
    expect(result.body.errors![0].message).toBe('Cannot query field "authenticatd" on type "Viewer".');
  });

  test("a misspelled enum value in variables gets no suggestion either", async () => {
    const result = await post(service, { query: op.ISSUE_MY, variables: { scopes: ["CHATT"] } });
    expect(result.body.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(result.body.errors![0].message).toMatch(/"CHATT" does not exist in "TokenScope" enum\.$/);
    expect(result.body.errors![0].message).not.toMatch(/Did you mean/);
  });

  test("a misspelled enum literal gets no suggestion", async () => {
    const result = await post(service, {
      query: "mutation { issueMyAccessToken(scopes: [CHATT]) { token } }",
    });
    expect(result.status).toBe(400);
    expect(result.body.errors![0].message).not.toMatch(/Did you mean|CHAT\b/);
  });
});

describe("in production with INTROSPECTION=true and FIELD_SUGGESTIONS=true", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startProductionTestService({ INTROSPECTION: "true", FIELD_SUGGESTIONS: "true" });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(() => service?.stop());

  test("introspection (__schema, __type) and `_service` answer", async () => {
    const schema = await post(service, { query: "{ __schema { mutationType { fields { name } } } }" });
    expect(JSON.stringify(schema.body.data)).toContain("issueMyAccessToken");
    const type = await post(service, { query: '{ __type(name: "AccessToken") { fields { name } } }' });
    expect(JSON.stringify(type.body.data)).toContain("expiresOn");
    const sdl = await post(service, { query: "{ _service { sdl } }" });
    expect(sdl.body.data!._service.sdl).toContain("issueMyAccessToken");
  });

  test("misspellings get suggestions", async () => {
    const result = await post(service, { query: "{ viewer { authenticatd } }" });
    expect(result.body.errors![0].message).toMatch(/Did you mean "authenticated"\?/);
    const variables = await post(service, { query: op.ISSUE_MY, variables: { scopes: ["CHATT"] } });
    expect(variables.body.errors![0].message).toMatch(/Did you mean the enum value "CHAT"\?/);
  });
});

describe("in development, with short HTTP timeouts", () => {
  const HEADERS_TIMEOUT_MS = 600;
  const REQUEST_TIMEOUT_MS = 1_500;
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({
      NODE_ENV: "development",
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(() => service?.stop());

  /**
   * Opens a raw connection, sends `first`, then one byte of `drip` every 100 ms until the server hangs
   * up. A server without the timeout never hangs up (the headers never end), or answers only after the
   * whole body (`sent` would reach its length): so the lower bounds on `ms` are the timing assertions,
   * and no upper bound is needed (a busy machine delays the cut, it does not prevent it).
   */
  function trickle(first: string, drip: string) {
    return new Promise<{ ms: number; response: string; sent: number }>((resolve, reject) => {
      const { port } = new URL(service.url);
      const socket = net.connect(Number(port), "127.0.0.1");
      const started = Date.now();
      let response = "";
      let sent = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on("connect", () => {
        socket.write(first);
        timer = setInterval(() => {
          if (!socket.destroyed) socket.write(drip[sent++ % drip.length]);
        }, 100);
      });
      socket.on("data", (chunk) => (response += chunk));
      socket.on("error", () => undefined); // a reset after the 408 is the server hanging up, as expected
      const giveUp = setTimeout(() => {
        socket.destroy();
        reject(new Error("the server never hung up"));
      }, 30_000);
      socket.on("close", () => {
        clearInterval(timer);
        clearTimeout(giveUp);
        resolve({ ms: Date.now() - started, response, sent });
      });
    });
  }

  test("a slowloris client (headers a byte at a time) is cut off at the headers timeout", async () => {
    const { ms, response } = await withoutEffects(service, () =>
      trickle("POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n", "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n"),
    );
    expect(response).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS * 0.8);
  });

  test("a slow-body client (a mint trickled in) is cut off at the request timeout, and nothing is minted", async () => {
    const bearer = await service.tokenFor("alice", ["user"]);
    const body = JSON.stringify({ query: op.ISSUE_MY, variables: { scopes: ["CHAT"] } });
    const head =
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
      `authorization: Bearer ${bearer}\r\ncontent-length: ${body.length}\r\n\r\n`;
    const { ms, response, sent } = await withoutEffects(service, () => trickle(head, body));
    expect(response).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS * 0.8);
    expect(sent).toBeLessThan(body.length); // cut off mid-body, not answered once it was all there
  });

  test("a normal request is unaffected by the short timeouts", async () => {
    const result = await post(service, { query: op.VIEWER });
    expect(result.status).toBe(200);
    expect(result.body.data!.viewer.authenticated).toBe(false);
  });

  test("validation errors carry no stack trace, even in development", async () => {
    const result = await post(service, { query: "{ viewer { nope } }" });
    expect(result.status).toBe(400);
    expect(result.body.errors![0].extensions).toEqual({ code: "GRAPHQL_VALIDATION_FAILED" });
    expectNoStack(result);
  });

  // Last in this block: it breaks the service's database on purpose.
  test("a real internal failure (the database closed) is masked to INTERNAL, with no stack trace", async () => {
    const bearer = await service.tokenFor("dave", ["user"]);
    await service.closeDatabaseOnPurpose(); // its rows are dumped for the secret sweep first
    const result = await post(service, { query: op.ISSUE_MY, variables: { scopes: ["CHAT"] } }, { bearer });
    expect(result.body.errors).toHaveLength(1);
    expect(result.body.errors![0]).toEqual({
      message: "Internal error. Quote the x-request-id response header when reporting it.",
      locations: expect.any(Array),
      path: ["issueMyAccessToken"],
      extensions: { code: "INTERNAL" },
    });
    expect(result.headers.get("x-request-id")).toBeTruthy();
    expectNoStack(result);
    expect(JSON.stringify(result.body)).not.toMatch(/pglite|closed|kysely|sql/i);
  });
});

describe("the default limits, measured on this schema", () => {
  test("every operation the end-to-end tests send fits with room to spare", async () => {
    const schema = await buildFederatedSchema();
    const { http: limits } = loadConfig({});
    const rules = (measure: QueryMeasure) =>
      queryLimitRules(
        {
          maxDepth: limits.maxQueryDepth,
          maxAliases: limits.maxAliases,
          maxRootFields: limits.maxRootFields,
          maxDirectives: limits.maxDirectives,
          maxCost: limits.maxCost,
          introspection: false,
        },
        measure,
      );
    const operations = Object.entries(op).filter(([, source]) => source.includes("{"));
    expect(operations.length).toBeGreaterThanOrEqual(10);
    for (const [name, source] of operations) {
      const measure: QueryMeasure = {};
      expect({
        name,
        errors: validate(schema, parse(source), [...specifiedRules, ...rules(measure)]),
      }).toEqual({
        name,
        errors: [],
      });
      // Measured: depth 3, cost 35 and 60 tokens at most (page sizes come in variables, which the cost
      // rule cannot see; a literal `first: 100` page of audit events costs 3500, see above).
      expect(measure.depth!).toBeLessThanOrEqual(limits.maxQueryDepth / 2);
      expect(measure.rootFields!).toBe(1);
      expect(measure.cost!).toBeLessThanOrEqual(limits.maxCost / 100);
      expect(countTokens(source, limits.maxTokens)!).toBeLessThanOrEqual(limits.maxTokens / 20);
    }
  });
});

describe("formatError", () => {
  const formatted = (message: string, extensions?: Record<string, unknown>) => ({ message, extensions });

  test("an unexpected error is masked: safe message, INTERNAL, no stack trace, nothing of the original", () => {
    const error = new GraphQLError("boom", {
      originalError: new Error("connect ECONNREFUSED postgres://admin:hunter2@db:5432"),
    });
    const result = formatError(formatted("boom", { stacktrace: ["Error: at x.ts:1"], secret: "s" }), error);
    expect(result).toEqual({
      message: "Internal error. Quote the x-request-id response header when reporting it.",
      locations: undefined,
      path: undefined,
      extensions: { code: "INTERNAL" },
    });
  });

  test("a domain error keeps its code and message, and loses any stack trace", () => {
    const error = new GraphQLError("x", {
      originalError: new AppError(ErrorCode.RATE_LIMITED, "Slow down.", { retryAfterSeconds: 7 }),
    });
    expect(formatError(formatted("x", { stacktrace: ["at y"] }), error)).toEqual({
      message: "Slow down.",
      locations: undefined,
      path: undefined,
      extensions: { code: "RATE_LIMITED", retryAfterSeconds: 7 },
    });
  });

  test("suggestions are removed from any error unless FIELD_SUGGESTIONS is on", () => {
    const message = 'Value "CHATT" does not exist in "TokenScope" enum. Did you mean the enum value "CHAT"?';
    const error = new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } });
    const input = formatted(message, { code: "BAD_USER_INPUT" });
    expect(createFormatError({ fieldSuggestions: false })(input, error).message).toBe(
      'Value "CHATT" does not exist in "TokenScope" enum.',
    );
    expect(createFormatError({ fieldSuggestions: true })(input, error).message).toBe(message);
  });
});
