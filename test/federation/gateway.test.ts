// A live @apollo/gateway over this service and an independent users subgraph: queries that span
// both, bearer tokens forwarded, entity references resolved in one batch, tracing without secrets.
import { composeServices } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginUsageReporting } from "@apollo/server/plugin/usageReporting";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Report } from "@apollo/usage-reporting-protobuf";
import { parse } from "graphql";
import { EventEmitter, once } from "node:events";
import { gunzipSync } from "node:zlib";
import { printServiceSchema } from "../../scripts/write-schema";
import { TRACE_SECRET_HEADER } from "../../src/server/trace-gate";
import { graphqlClient } from "../support/graphql-client";
import * as op from "../support/operations";
import { startTestService, type TestService } from "../support/service";
import { quietLogger, startUsersSubgraph, USERS_TYPE_DEFS, USER_IDS } from "./users-subgraph";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

const TRACE_SECRET = "gateway-trace-secret-0123456789abcdef";
let identity: TestService;
let users: { url: string; stop(): Promise<void> };
let gateway: ApolloServer<{ authorization?: string }>;
let gatewayUrl: string;
const reports: Buffer[] = [];
const reportArrived = new EventEmitter(); // emits "report" after each push to `reports`

// Composing, starting two subgraphs and a gateway takes a while on a busy machine.
beforeAll(async () => {
  identity = await startTestService({
    RATE_LIMIT_MINT_PER_MINUTE: "1000",
    RATE_LIMIT_CREATE_PER_MINUTE: "1000",
    FEDERATION_TRACE_SECRET: TRACE_SECRET,
  });
  users = await startUsersSubgraph();
  const composed = composeServices([
    { name: "identity", typeDefs: parse(await printServiceSchema()), url: identity.graphqlUrl },
    { name: "users", typeDefs: parse(USERS_TYPE_DEFS), url: users.url },
  ]);
  gateway = new ApolloServer({
    logger: quietLogger,
    gateway: new ApolloGateway({
      logger: quietLogger,
      // @apollo/gateway refuses supergraphs with SECURITY features (@authenticated, @requiresScopes):
      // only Apollo Router enforces them. Marking them as plain links lets the gateway plan the query;
      // the service enforces the same rules itself, which is what these tests check.
      supergraphSdl: composed.supergraphSdl!.replaceAll(", for: SECURITY)", ")"),
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource<{ authorization?: string }>({
          url,
          willSendRequest({ request, context }) {
            if (context.authorization) request.http!.headers.set("authorization", context.authorization);
            // Only the router gets inline traces: it proves itself with the shared secret.
            request.http!.headers.set(TRACE_SECRET_HEADER, TRACE_SECRET);
          },
        }),
    }),
    // Usage reporting on the gateway makes it ask subgraphs for inline (ftv1) traces; the reports
    // are captured here instead of being sent anywhere.
    apollo: { key: "service:test:not-a-real-key", graphRef: "acs-identity-graph@test" },
    plugins: [
      ApolloServerPluginUsageReporting({
        sendReportsImmediately: true,
        sendVariableValues: { none: true },
        fetcher: async (_url, init) => {
          reports.push(Buffer.from(init!.body as Uint8Array));
          reportArrived.emit("report");
          return new Response("", { status: 200 }) as never;
        },
      }),
    ],
  });
  const started = await startStandaloneServer(gateway, {
    listen: { port: 0, host: "127.0.0.1" },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  gatewayUrl = started.url;

  const admin = await identity.as("ops", ["admin"]);
  for (const owner of ["user-003", "user-042", "user-099"]) await admin.request(op.CREATE, { owner });
}, SERVICE_START_TIMEOUT_MS);

afterAll(async () => {
  await gateway?.stop();
  await users?.stop();
  await identity?.stop();
});

const USERS_WITH_IDENTITIES = `{ users(first: 100) { id name communicationIdentity { id owner } } }`;

test("an operator sees users with their communication identities, resolved in one database query", async () => {
  const batch = jest.spyOn(identity.store.identities, "findActiveByOwners");
  const client = graphqlClient(gatewayUrl, await identity.tokenFor("ops", ["admin"]));
  const { data, errors } = await client.request(USERS_WITH_IDENTITIES);
  expect(errors).toEqual([]);
  expect(data!.users).toHaveLength(100);
  const withIdentity = data!.users.filter((u: { communicationIdentity: unknown }) => u.communicationIdentity);
  expect(withIdentity.map((u: { id: string }) => u.id)).toEqual(["user-003", "user-042", "user-099"]);
  expect(withIdentity[0]).toMatchObject({
    name: "Name of user-003",
    communicationIdentity: { owner: "user-003" },
  });
  expect(batch).toHaveBeenCalledTimes(1);
  expect(batch.mock.calls[0][0]).toHaveLength(USER_IDS.length);
  batch.mockRestore();
});

test("a user sees only their own identity through the gateway", async () => {
  const client = graphqlClient(gatewayUrl, await identity.tokenFor("user-042", ["user"]));
  const { data, errors } = await client.request(USERS_WITH_IDENTITIES);
  expect(errors).toEqual([]);
  const visible = data!.users.filter((u: { communicationIdentity: unknown }) => u.communicationIdentity);
  expect(visible.map((u: { id: string }) => u.id)).toEqual(["user-042"]);
});

test("without a bearer token the identity fields are refused, and the users subgraph still answers", async () => {
  const { data, errors } = await graphqlClient(gatewayUrl).request(USERS_WITH_IDENTITIES);
  expect(errors.length).toBeGreaterThan(0);
  expect(new Set(errors.map((e) => e.code))).toEqual(new Set(["UNAUTHENTICATED"]));
  expect(data?.users?.[0]?.name ?? null).toBe("Name of user-000");
});

test("a mutation through the gateway mints a token, and the traces it produced carry no token", async () => {
  const client = graphqlClient(gatewayUrl, await identity.tokenFor("user-007", ["user"]));
  const { data, errors } = await client.request(op.ISSUE_MY, { scopes: ["CHAT"] });
  expect(errors).toEqual([]);
  const token: string = data!.issueMyAccessToken.token;
  // Reports are sent as soon as each operation ends; wait for the one of this mint.
  const decodeAll = () =>
    reports.map((body) => Report.toObject(Report.decode(gunzipSync(body)), { defaults: false }));
  while (!JSON.stringify(decodeAll()).includes("issueMyAccessToken")) await once(reportArrived, "report");
  const decoded = decodeAll();
  const text = JSON.stringify(decoded);
  expect(text).toContain("issueMyAccessToken");
  // The subgraph's inline trace is inside the gateway's query plan trace.
  expect(text).toMatch(/"fetch":\{"serviceName":"identity"[^]*"trace"/);
  expect(text).not.toContain(token);
  expect(text).not.toContain(token.split(".")[1]);
});
