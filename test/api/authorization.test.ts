// Every forbidden path answers with a stable code and changes nothing.
import { startTestService, type TestService } from "../support/service";
import * as op from "../support/operations";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

let service: TestService;
let aliceIdentity: string;
beforeAll(async () => {
  service = await startTestService();
  const alice = await service.as("alice", ["user"]);
  aliceIdentity = (await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).data!.issueMyAccessToken.identity
    .id;
}, SERVICE_START_TIMEOUT_MS);
afterAll(() => service?.stop());

const codes = (result: { errors: Array<{ code?: string }> }) => result.errors.map((e) => e.code);

async function identityCount(): Promise<number> {
  const admin = await service.as("auditor", ["admin"]);
  let count = 0;
  let after: string | null = null;
  do {
    const page: any = (await admin.request(op.IDENTITIES, { first: 100, after })).data!
      .communicationIdentities;
    count += page.nodes.length;
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return count;
}

describe("callers without a valid bearer token", () => {
  test("anonymous callers may ask who they are, and nothing else", async () => {
    const anonymous = service.anonymous();
    const viewer = await anonymous.request(op.VIEWER);
    expect(viewer.data!.viewer).toMatchObject({
      authenticated: false,
      subject: null,
      permissions: [],
      allowedScopes: [],
    });
    expect(codes(await anonymous.request(op.ISSUE_MY, { scopes: ["CHAT"] }))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await anonymous.request(op.MY_IDENTITY))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await anonymous.request(op.CREATE, { owner: "x" }))).toEqual(["UNAUTHENTICATED"]);
  });

  test.each([
    ["garbage", "Bearer not-a-jwt"],
    ["wrong scheme", "Basic YWxpY2U6cGFzcw=="],
    ["empty bearer", "Bearer "],
  ])("a %s Authorization header is refused with HTTP 401 and UNAUTHENTICATED", async (_name, header) => {
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: header },
      body: JSON.stringify({ query: "{ viewer { authenticated } }" }),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(JSON.stringify(body)).not.toContain("not-a-jwt");
  });

  test("an expired token is refused", async () => {
    const expired = await service.devIssuer!.sign({ sub: "alice", roles: ["user"], ttlSeconds: -120 });
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${expired}` },
      body: JSON.stringify({ query: "{ viewer { authenticated } }" }),
    });
    expect(response.status).toBe(401);
    expect(
      ((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions
        .code,
    ).toBe("UNAUTHENTICATED");
  });

  test("a token signed by another key is refused", async () => {
    const { generateKeyPair, SignJWT } = await import("jose");
    const { privateKey } = await generateKeyPair("ES256");
    const forged = await new SignJWT({ roles: ["admin"] })
      .setProtectedHeader({ alg: "ES256" })
      .setSubject("mallory")
      .setIssuer("urn:acs-identity-graph:dev")
      .setAudience("acs-identity-graph")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${forged}` },
      body: JSON.stringify({ query: "{ viewer { authenticated } }" }),
    });
    expect(response.status).toBe(401);
  });
});

describe("users acting beyond their policy", () => {
  test("may not mint for, revoke or read another user's identity, which looks unknown to them", async () => {
    const eve = await service.as("eve", ["user"]);
    expect(codes(await eve.request(op.ISSUE, { id: aliceIdentity, scopes: ["CHAT"] }))).toEqual([
      "NOT_FOUND",
    ]);
    expect(codes(await eve.request(op.REVOKE, { id: aliceIdentity }))).toEqual(["NOT_FOUND"]);
    expect(await eve.request(op.IDENTITY, { id: aliceIdentity })).toEqual({
      data: { communicationIdentity: null },
      errors: [],
    });
    const alice = await service.as("alice", ["user"]);
    expect(
      (await alice.request(op.IDENTITY, { id: aliceIdentity })).data!.communicationIdentity.tokensRevokedAt,
    ).toBeNull();
  });

  test("may not use operator operations", async () => {
    const user = await service.as("alice", ["user"]);
    expect(codes(await user.request(op.DELETE, { id: aliceIdentity }))).toEqual(["FORBIDDEN"]);
    expect(codes(await user.request(op.CREATE, { owner: "someone" }))).toEqual(["FORBIDDEN"]);
    expect(codes(await user.request(op.CREATE_WITH_TOKEN, { owner: "someone", scopes: ["CHAT"] }))).toEqual([
      "FORBIDDEN",
    ]);
    expect(codes(await user.request(op.IDENTITIES, { first: 10 }))).toEqual(["FORBIDDEN"]);
    expect(codes(await user.request(op.AUDIT, { first: 10 }))).toEqual(["FORBIDDEN"]);
    const service_ = await service.as("backend", ["service"]);
    expect(codes(await service_.request(op.AUDIT, { first: 10 }))).toEqual(["FORBIDDEN"]);
    expect(codes(await service_.request(op.DELETE, { id: aliceIdentity }))).toEqual(["FORBIDDEN"]);
  });

  test("an unknown role grants nothing (deny by default)", async () => {
    const stranger = await service.as("stranger", ["superhero"]);
    expect(codes(await stranger.request(op.ISSUE_MY, { scopes: ["CHAT"] }))).toEqual(["FORBIDDEN"]);
  });

  test("asking for scopes or a lifetime beyond the policy is FORBIDDEN, not clamped", async () => {
    const before = await identityCount();
    const guest = await service.as("guest-x", ["guest"]);
    const tooMuchScope = await guest.request(op.ISSUE_MY, { scopes: ["CHAT"] });
    expect(codes(tooMuchScope)).toEqual(["FORBIDDEN"]);
    expect(tooMuchScope.errors[0].message).toMatch(/chat/);
    const tooLong = await guest.request(op.ISSUE_MY, { scopes: ["VOIP_JOIN"], minutes: 61 });
    expect(codes(tooLong)).toEqual(["FORBIDDEN"]);
    expect(tooLong.errors[0].message).toMatch(/60/);
    expect(await identityCount()).toBe(before);
  });
});

describe("bad input", () => {
  test.each([
    ["no scopes", { scopes: [] }, "scopes"],
    ["a repeated scope", { scopes: ["CHAT", "CHAT"] }, "scopes"],
    ["59 minutes", { scopes: ["CHAT"], minutes: 59 }, "expiresInMinutes"],
    ["1441 minutes", { scopes: ["CHAT"], minutes: 1441 }, "expiresInMinutes"],
  ])("%s gets BAD_USER_INPUT and creates nothing", async (_name, variables, field) => {
    const before = await identityCount();
    const newcomer = await service.as(`newcomer-${field}-${Math.random()}`, ["user"]);
    const result = await newcomer.request(op.ISSUE_MY, variables);
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors[0].extensions.field).toBe(field);
    expect(await identityCount()).toBe(before);
  });

  test("an unknown scope is refused by the schema", async () => {
    const alice = await service.as("alice", ["user"]);
    expect(codes(await alice.request(op.ISSUE_MY, { scopes: ["chat"] }))).toEqual(["BAD_USER_INPUT"]);
  });

  test.each([
    ["not an ACS id", "alice"],
    ["two underscores", "8:acs:00000000-0000-0000-0000-000000000000_a_b"],
    ["too long", `8:acs:00000000-0000-0000-0000-000000000000_${"a".repeat(200)}`],
  ])("a malformed identity id (%s) gets BAD_USER_INPUT", async (_name, id) => {
    const admin = await service.as("ops", ["admin"]);
    for (const document of [op.ISSUE, op.REVOKE, op.DELETE]) {
      const result = await admin.request(document, { id, scopes: ["CHAT"] });
      expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
      expect(result.errors[0].message).not.toContain("a".repeat(50));
    }
  });

  test("an unknown but well-formed identity gets NOT_FOUND", async () => {
    const admin = await service.as("ops", ["admin"]);
    const id = "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000";
    expect(codes(await admin.request(op.ISSUE, { id, scopes: ["CHAT"] }))).toEqual(["NOT_FOUND"]);
    expect(codes(await admin.request(op.DELETE, { id }))).toEqual(["NOT_FOUND"]);
  });

  test("oversized owners and page sizes get BAD_USER_INPUT", async () => {
    const before = await identityCount();
    const admin = await service.as("ops", ["admin"]);
    expect(codes(await admin.request(op.CREATE, { owner: "x".repeat(257) }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request(op.CREATE, { owner: "line\nbreak" }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request(op.IDENTITIES, { first: 1000 }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request(op.IDENTITIES, { first: 10, after: "not a cursor!" }))).toEqual([
      "BAD_USER_INPUT",
    ]);
    expect(await identityCount()).toBe(before);
  });

  test("an oversized request body is refused before it reaches GraphQL", async () => {
    const body = JSON.stringify({
      query: `{ viewer { authenticated } }`,
      variables: { pad: "x".repeat(200_000) },
    });
    const signedIn = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await service.tokenFor("big-body", ["user"])}`,
      },
      body,
    });
    expect(signedIn.status).toBe(413);
    expect(await signedIn.json()).toEqual({
      errors: [
        { message: "The request body is larger than 100000 bytes.", extensions: { code: "BAD_REQUEST" } },
      ],
    });
    // Without a bearer token the limit is ANONYMOUS_MAX_REQUEST_BYTES (16 kB by default).
    const anonymous = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(anonymous.status).toBe(413);
    expect(await anonymous.json()).toEqual({
      errors: [
        {
          message: "Without a bearer token the request body may be at most 16384 bytes.",
          extensions: { code: "BAD_REQUEST" },
        },
      ],
    });
  });

  test("a malformed JSON body gets a GraphQL-shaped 400, not an HTML stack trace", async () => {
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(response.status).toBe(400);
    expect(
      ((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions
        .code,
    ).toBe("BAD_REQUEST");
  });

  test("queries that fan out through many aliases are refused", async () => {
    const alice = await service.as("alice", ["user"]);
    const fanOut = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: viewer { subject }`).join(" ")} }`;
    // How many limits report it is the limits' business; that it is refused before running is ours.
    const refused = await alice.request(fanOut);
    expect(refused.data).toBeNull();
    expect(new Set(codes(refused))).toEqual(new Set(["GRAPHQL_VALIDATION_FAILED"]));
  });
});
