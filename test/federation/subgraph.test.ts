// The subgraph's own federation surface: _service and _entities, under the same authorization as
// the rest of the API, and inline traces without token values.
import { Trace } from "@apollo/usage-reporting-protobuf";
import * as op from "../support/operations";
import { startTestService, type TestService } from "../support/service";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

let service: TestService;
let aliceId: string;
beforeAll(async () => {
  service = await startTestService();
  const alice = await service.as("alice", ["user"]);
  aliceId = (await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] })).data!.issueMyAccessToken.identity.id;
}, SERVICE_START_TIMEOUT_MS);
afterAll(() => service?.stop());

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
  const asEve = await (await service.as("eve", ["user"])).request(ENTITIES, { r: representations });
  expect(asEve.data!._entities).toEqual([null]);
  const asAdmin = await (await service.as("ops", ["admin"])).request(ENTITIES, { r: representations });
  expect(asAdmin.data!._entities).toEqual([{ id: aliceId, owner: "alice" }]);
  const anonymous = await service.anonymous().request(ENTITIES, { r: representations });
  expect(anonymous.errors.map((e) => e.code)).toEqual(["UNAUTHENTICATED"]);
});

test("User entities expose the user's identity to the user and to readers", async () => {
  const representations = [{ __typename: "User", id: "alice" }];
  const asAlice = await (await service.as("alice", ["user"])).request(ENTITIES, { r: representations });
  expect(asAlice.data!._entities).toEqual([{ id: "alice", communicationIdentity: { id: aliceId } }]);
  const asEve = await (await service.as("eve", ["user"])).request(ENTITIES, { r: representations });
  expect(asEve.data!._entities).toEqual([{ id: "alice", communicationIdentity: null }]);
});

test("an inline trace of a mint carries no token", async () => {
  const bearer = await service.tokenFor("trace-user", ["user"]);
  const response = await fetch(service.graphqlUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${bearer}`,
      "apollo-federation-include-trace": "ftv1",
    },
    body: JSON.stringify({ query: op.ISSUE_MY, variables: { scopes: ["CHAT"] } }),
  });
  const body = (await response.json()) as {
    data: { issueMyAccessToken: { token: string } };
    extensions: { ftv1: string };
  };
  const token = body.data.issueMyAccessToken.token;
  const trace = Trace.toObject(Trace.decode(Buffer.from(body.extensions.ftv1, "base64")));
  const text = JSON.stringify(trace);
  expect(text).toContain("issueMyAccessToken");
  expect(text).not.toContain(token);
  expect(text).not.toContain(bearer);
});
