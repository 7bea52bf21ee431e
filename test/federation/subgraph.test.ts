// The subgraph's own federation surface: _service and _entities, under the same authorization as
// the rest of the API; `_entities` checked as a whole before any work; inline traces only for the
// router (shared secret) and without token values.
import { Trace } from "@apollo/usage-reporting-protobuf";
import { createLogger } from "../../src/server/logger";
import { TRACE_SECRET_HEADER } from "../../src/server/trace-gate";
import * as op from "../support/operations";
import { startTestService, type TestService } from "../support/service";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

const TRACE_SECRET = "router-trace-secret-0123456789abcdef";
const MAX_REPRESENTATIONS = 50;
let service: TestService;
let aliceId: string;
const logLines: Array<{ level: number; msg: string }> = [];
beforeAll(async () => {
  const destination = { write: (line: string) => void logLines.push(JSON.parse(line)) };
  service = await startTestService(
    { FEDERATION_TRACE_SECRET: TRACE_SECRET, MAX_ENTITY_REPRESENTATIONS: String(MAX_REPRESENTATIONS) },
    { logger: createLogger("info", destination) },
  );
  const alice = await service.as("alice", ["user"]);
  aliceId = (await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).data!.issueMyAccessToken.identity.id;
}, SERVICE_START_TIMEOUT_MS);
afterAll(() => service?.stop());
afterEach(() => jest.restoreAllMocks());

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on CommunicationIdentity { id owner } ... on User { id communicationIdentity { id } } } }`;

test("_service returns the subgraph SDL", async () => {
  const { data } = await service.anonymous().request(`{ _service { sdl } }`);
  expect(data!._service.sdl).toMatch(/type CommunicationIdentity\s+@key\(fields: "id"\)\s+@authenticated/);
  expect(data!._service.sdl).toContain("@link");
});

test("_entities resolves identities only for callers allowed to read them", async () => {
  const representations = [{ __typename: "CommunicationIdentity", id: aliceId }];
  const asAlice = await (await service.as("alice", ["user"])).request(ENTITIES, { r: representations });
  expect(asAlice.data!._entities).toEqual([{ id: aliceId, owner: "alice" }]);
  // Someone else's identity is filtered out by the query itself (owner in the SQL), not afterwards.
  const lookup = jest.spyOn(service.store.identities, "findByIds");
  const asEve = await (await service.as("eve", ["user"])).request(ENTITIES, { r: representations });
  expect(asEve.data!._entities).toEqual([null]);
  expect(lookup).toHaveBeenCalledWith([aliceId], "eve");
  const asAdmin = await (await service.as("ops", ["admin"])).request(ENTITIES, { r: representations });
  expect(asAdmin.data!._entities).toEqual([{ id: aliceId, owner: "alice" }]);
  expect(lookup).toHaveBeenLastCalledWith([aliceId], undefined);
});

test("User entities expose the user's identity to the user and to readers", async () => {
  const representations = [{ __typename: "User", id: "alice" }];
  const asAlice = await (await service.as("alice", ["user"])).request(ENTITIES, { r: representations });
  expect(asAlice.data!._entities).toEqual([{ id: "alice", communicationIdentity: { id: aliceId } }]);
  const asEve = await (await service.as("eve", ["user"])).request(ENTITIES, { r: representations });
  expect(asEve.data!._entities).toEqual([{ id: "alice", communicationIdentity: null }]);
});

describe("_entities is checked as a whole before any work", () => {
  const spyOnLookups = () => [
    jest.spyOn(service.store.identities, "findByIds"),
    jest.spyOn(service.store.identities, "findActiveByOwners"),
  ];
  const errorLines = () => logLines.filter((line) => line.level >= 50);

  test("anonymous callers are refused once, however many representations they send", async () => {
    const lookups = spyOnLookups();
    const errorsBefore = errorLines().length;
    const few = Array.from({ length: 100 }, (_, i) => ({ __typename: "User", id: `u${i}` }));
    const { data, errors } = await service.anonymous().request(ENTITIES, { r: few });
    expect(data).toBeNull();
    expect(errors.map((e) => e.code)).toEqual(["UNAUTHENTICATED"]);
    // Thousands do not even get parsed: an anonymous body over ANONYMOUS_MAX_REQUEST_BYTES is 413 unread.
    const many = Array.from({ length: 2_500 }, (_, i) => ({ __typename: "User", id: `u${i}` }));
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: ENTITIES, variables: { r: many } }),
    });
    expect(response.status).toBe(413);
    for (const lookup of lookups) expect(lookup).not.toHaveBeenCalled();
    expect(errorLines().length).toBe(errorsBefore);
  });

  test("more representations than the cap are one BAD_USER_INPUT", async () => {
    const lookups = spyOnLookups();
    const client = await service.as("ops", ["admin"]);
    const over = Array.from({ length: MAX_REPRESENTATIONS + 1 }, (_, i) => ({
      __typename: "User",
      id: `u${i}`,
    }));
    const { data, errors } = await client.request(ENTITIES, { r: over });
    expect(data).toBeNull();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "representations" } });
    expect(errors[0].message).toContain(`At most ${MAX_REPRESENTATIONS} representations`);
    for (const lookup of lookups) expect(lookup).not.toHaveBeenCalled();
    // At the cap, the batch is answered (in one lookup).
    const atCap = over.slice(1);
    const ok = await client.request(ENTITIES, { r: atCap });
    expect(ok.errors).toEqual([]);
    expect(ok.data!._entities).toHaveLength(MAX_REPRESENTATIONS);
    expect(lookups[1]).toHaveBeenCalledTimes(1);
  });

  test.each([
    [
      "a type that is not one of our entities",
      [{ __typename: "Viewer", id: "x" }],
      "__typename must be one of",
    ],
    ["no __typename", [{ id: "x" }], "__typename must be one of"],
    ["a malformed identity id", [{ __typename: "CommunicationIdentity", id: "not-an-acs-id" }], "id is not"],
    ["a NUL in an identity id", [{ __typename: "CommunicationIdentity", id: "\u0000" }], "id is not"],
    ["a NUL in a user id", [{ __typename: "User", id: "\u0000" }], "id is not"],
    ["a non-string id", [{ __typename: "User", id: 42 }], "id is not"],
  ])("%s is one BAD_USER_INPUT naming the item", async (_name, representations, message) => {
    const lookups = spyOnLookups();
    const client = await service.as("alice", ["user"]);
    const good = { __typename: "CommunicationIdentity", id: aliceId };
    const { data, errors } = await client.request(ENTITIES, { r: [good, ...representations] });
    expect(data).toBeNull();
    expect(errors).toHaveLength(1);
    expect(errors[0].code).toBe("BAD_USER_INPUT");
    expect(errors[0].message).toContain("representations[1]");
    expect(errors[0].message).toContain(message);
    for (const lookup of lookups) expect(lookup).not.toHaveBeenCalled();
  });

  test("many bad representations are one error and no error-level log line", async () => {
    const errorsBefore = errorLines().length;
    const client = await service.as("alice", ["user"]);
    const viewers = Array.from({ length: MAX_REPRESENTATIONS }, () => ({ __typename: "Viewer", id: "x" }));
    const { errors } = await client.request(ENTITIES, { r: viewers });
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toContain(`(and ${MAX_REPRESENTATIONS - 1} more)`);
    expect(errorLines().length).toBe(errorsBefore);
  });

  test("metrics labels carry only the service's stable codes", async () => {
    const client = await service.as("alice", ["user"]);
    await client.request(ENTITIES, { r: [{ __typename: "CommunicationIdentity", id: "\u0000" }] });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const codes = new Set(
      [...metrics.matchAll(/graphql_operations_total\{[^}]*code="([^"]+)"/g)].map((m) => m[1]),
    );
    expect(codes.has("BAD_USER_INPUT")).toBe(true);
    const stable = ["OK", "UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "NOT_FOUND", "RATE_LIMITED"];
    const apollo = ["GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "INTERNAL"];
    for (const code of codes) expect([...stable, ...apollo]).toContain(code);
  });
});

describe("inline traces", () => {
  const traced = async (headers: Record<string, string>) => {
    const bearer = await service.tokenFor("trace-user", ["user"]);
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${bearer}`,
        "apollo-federation-include-trace": "ftv1",
        ...headers,
      },
      body: JSON.stringify({ query: op.ISSUE_MY, variables: { scopes: ["CHAT"] } }),
    });
    const body = (await response.json()) as {
      data: { issueMyAccessToken: { token: string } };
      extensions?: { ftv1?: string };
    };
    return { bearer, token: body.data.issueMyAccessToken.token, ftv1: body.extensions?.ftv1 };
  };

  test("are not sent to a client that asks without the router's secret", async () => {
    expect((await traced({})).ftv1).toBeUndefined();
    expect((await traced({ [TRACE_SECRET_HEADER]: "guess" })).ftv1).toBeUndefined();
    expect((await traced({ [TRACE_SECRET_HEADER]: `${TRACE_SECRET}x` })).ftv1).toBeUndefined();
  });

  test("go to the router, and a trace of a mint carries no token", async () => {
    const { bearer, token, ftv1 } = await traced({ [TRACE_SECRET_HEADER]: TRACE_SECRET });
    expect(ftv1).toEqual(expect.any(String));
    const trace = Trace.toObject(Trace.decode(Buffer.from(ftv1!, "base64")));
    const text = JSON.stringify(trace);
    expect(text).toContain("issueMyAccessToken");
    expect(text).not.toContain(token);
    expect(text).not.toContain(bearer);
  });
});
