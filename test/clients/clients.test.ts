// The client setups in docs/clients.md, each run against the real service over HTTP. Apollo Server's
// CSRF prevention refuses GET (and form-like POST) requests that do not force a CORS preflight: a
// client that sends queries as GET must add `apollo-require-preflight` (or use POST).
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { Client, fetchExchange } from "@urql/core";
import { Network, type RequestParameters } from "relay-runtime";
import * as op from "../support/operations";
import { startTestService, type TestService } from "../support/service";

let service: TestService;
let bearer: string;
beforeAll(async () => {
  service = await startTestService();
  bearer = await service.tokenFor("client-user", ["user"]);
});
afterAll(() => service?.stop());

const VIEWER = `query Viewer { viewer { subject permissions } }`;
const MINT = `mutation Mint($scopes: [TokenScope!]!) { issueMyAccessToken(scopes: $scopes) { expiresOn } }`;
const expectedViewer = { subject: "client-user", permissions: ["mint:self"] };

test("Apollo Client: HttpLink with the bearer token (POST by default)", async () => {
  const client = new ApolloClient({
    link: new HttpLink({ uri: service.graphqlUrl, headers: { authorization: `Bearer ${bearer}` } }),
    cache: new InMemoryCache(),
  });
  const { data } = await client.query<any>({ query: gql(VIEWER), fetchPolicy: "no-cache" });
  expect(data.viewer).toMatchObject(expectedViewer);
  const minted = await client.mutate<any>({ mutation: gql(MINT), variables: { scopes: ["CHAT"] } });
  expect(minted.data.issueMyAccessToken.expiresOn).toEqual(expect.any(String));
});

describe("urql", () => {
  const urql = (headers: Record<string, string>) =>
    new Client({
      url: service.graphqlUrl,
      exchanges: [fetchExchange],
      requestPolicy: "network-only",
      fetchOptions: () => ({ headers: { authorization: `Bearer ${bearer}`, ...headers } }),
    });

  test("sends queries as GET by default, which CSRF prevention refuses without a preflight header", async () => {
    const result = await urql({}).query(VIEWER, {}).toPromise();
    expect(result.data).toBeUndefined();
    expect(result.error?.response?.status).toBe(400);
  });

  test("works with `apollo-require-preflight`", async () => {
    const client = urql({ "apollo-require-preflight": "true" });
    const result = await client.query(VIEWER, {}).toPromise();
    expect(result.error).toBeUndefined();
    expect(result.data.viewer).toMatchObject(expectedViewer);
    const minted = await client.mutation(MINT, { scopes: ["CHAT"] }).toPromise();
    expect(minted.data.issueMyAccessToken.expiresOn).toEqual(expect.any(String));
  });
});

test("graphql-request: GraphQLClient with the bearer token (POST by default)", async () => {
  const { GraphQLClient } = await import("graphql-request");
  const client = new GraphQLClient(service.graphqlUrl, { headers: { authorization: `Bearer ${bearer}` } });
  const data = await client.request<any>(VIEWER);
  expect(data.viewer).toMatchObject(expectedViewer);
  const minted = await client.request<any>(MINT, { scopes: ["CHAT"] });
  expect(minted.issueMyAccessToken.expiresOn).toEqual(expect.any(String));
});

test("Relay: a Network fetch function (POST) pages identities through Relay connections", async () => {
  // What `Network.create` is given in a Relay app; Relay's compiler supplies `params.text`.
  const fetchGraphQL = async (params: RequestParameters, variables: Record<string, unknown>) => {
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await admin}` },
      body: JSON.stringify({ query: params.text, variables }),
    });
    return response.json();
  };
  const admin = service.tokenFor("client-ops", ["admin"]);
  const ops = await service.as("client-ops", ["admin"]);
  for (const owner of ["relay-1", "relay-2"]) await ops.request(op.CREATE, { owner });
  const network = Network.create(fetchGraphQL);
  const request: RequestParameters = {
    id: null,
    cacheID: "IdentitiesQuery",
    name: "IdentitiesQuery",
    operationKind: "query",
    text: `query IdentitiesQuery($first: Int!, $after: String) {
      communicationIdentities(first: $first, after: $after) {
        edges { cursor node { id } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }`,
    metadata: {},
  };
  const run = (variables: Record<string, unknown>) =>
    new Promise<any>((resolve, reject) =>
      network.execute(request, variables, {}).subscribe({ next: resolve, error: reject }),
    );
  const first = await run({ first: 1 });
  const page = first.data.communicationIdentities;
  expect(page.edges).toHaveLength(1);
  expect(page.pageInfo).toMatchObject({ hasPreviousPage: false, endCursor: page.edges[0].cursor });
  expect(page.pageInfo.hasNextPage).toBe(true);
  const next = await run({ first: 1, after: page.pageInfo.endCursor });
  expect(next.data.communicationIdentities.edges[0].node.id).not.toBe(page.edges[0].node.id);
});
