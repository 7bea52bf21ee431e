// A real router that enforces our directives: GraphQL Hive Gateway serving the composed supergraph
// with its SECURITY links intact (@authenticated, @requiresScopes), JWT verification, and the scope
// mapping `npm run router-config` writes from the policy. Refused fields never reach this service
// (counted at the service), allowed ones do, and entity references arrive in one batch.
import { composeServices } from "@apollo/composition";
import { createGatewayRuntime, type GatewayRuntime } from "@graphql-hive/gateway-runtime";
import { createInlineSigningKeyProvider, useJWT } from "@graphql-mesh/plugin-jwt-auth";
import { parse } from "graphql";
import { createPublicKey } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { roleScopes, scopesOfClaims } from "../../scripts/router-config";
import { printServiceSchema } from "../../scripts/write-schema";
import { DEFAULT_POLICY } from "../../src/identity/policy";
import { TRACE_SECRET_HEADER } from "../../src/server/trace-gate";
import { graphqlClient } from "../support/graphql-client";
import * as op from "../support/operations";
import { startTestService, type TestService } from "../support/service";
import { startUsersSubgraph, USER_IDS, USERS_TYPE_DEFS } from "./users-subgraph";

const TRACE_SECRET = "hive-trace-secret-0123456789abcdefgh";
let identity: TestService;
let users: { url: string; stop(): Promise<void> };
let gateway: GatewayRuntime;
let server: http.Server;
let gatewayUrl: string;

// Composing, starting two subgraphs and a gateway takes a while on a busy machine.
const SETUP_TIMEOUT_MS = 180_000;
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
  expect(composed.errors).toBeUndefined();
  expect(composed.supergraphSdl).toContain("for: SECURITY");
  const issuer = identity.devIssuer!;
  const publicKey = createPublicKey({ key: issuer.publicJwks.keys[0] as never, format: "jwk" })
    .export({ type: "spki", format: "pem" })
    .toString();
  const mapping = roleScopes(DEFAULT_POLICY);
  gateway = createGatewayRuntime({
    supergraph: composed.supergraphSdl!,
    logging: false,
    // The JWT plugin's context type is narrower than the runtime's plugin list: the shapes match.
    plugins: () => [
      useJWT({
        signingKeyProviders: [createInlineSigningKeyProvider(publicKey)],
        tokenVerification: {
          algorithms: [issuer.algorithm as "ES256"],
          issuer: issuer.issuer,
          audience: issuer.audience,
        },
        // Anonymous requests go on: fields without directives (the users subgraph's, `viewer`) are public.
        reject: { missingToken: false, invalidToken: true },
      }) as never,
    ],
    genericAuth: {
      mode: "protect-granular",
      resolveUserFn: (context: { jwt?: { payload?: Record<string, unknown> } }) => context.jwt?.payload,
      extractScopes: (claims: Record<string, unknown>) => scopesOfClaims(mapping, claims),
      rejectUnauthenticated: false,
    },
    propagateHeaders: {
      fromClientToSubgraphs: ({ request, subgraphName }) =>
        subgraphName === "identity"
          ? { authorization: request.headers.get("authorization"), [TRACE_SECRET_HEADER]: TRACE_SECRET }
          : {},
    },
  });
  server = http.createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

  const admin = await identity.as("ops", ["admin"]);
  for (const owner of ["user-003", "user-042", "user-099"]) await admin.request(op.CREATE, { owner });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await gateway?.dispose();
  await users?.stop();
  await identity?.stop();
});

/** Operations that reached the identity service, from its own metrics (every operation is counted). */
async function operationsAtService(): Promise<number> {
  const text = await (await fetch(`${identity.url}/metrics`)).text();
  return [...text.matchAll(/^graphql_operations_total\{[^}]*\} (\d+)/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

const through = async (bearer?: string) => graphqlClient(gatewayUrl, bearer);

test("anonymous and under-scoped requests are refused at the router, and never reach the service", async () => {
  const before = await operationsAtService();
  const anonymous = await (await through()).request(op.ISSUE_MY, { scopes: ["CHAT"] });
  expect(anonymous.data?.issueMyAccessToken ?? null).toBeNull();
  expect(anonymous.errors.map((e) => e.code)).toEqual(["UNAUTHORIZED_FIELD_OR_TYPE"]);
  const list = `{ communicationIdentities(first: 5) { nodes { id } } }`;
  const user = await (await through(await identity.tokenFor("user-042", ["user"]))).request(list);
  expect(user.data?.communicationIdentities ?? null).toBeNull();
  expect(user.errors.map((e) => e.code)).toEqual(["UNAUTHORIZED_FIELD_OR_TYPE"]);
  // A user may not create identities with a token for someone else (needs identity:create and mint:any).
  const backendLess = await (
    await through(await identity.tokenFor("user-042", ["user"]))
  ).request(op.CREATE_WITH_TOKEN, { scopes: ["CHAT"], owner: "someone-else" });
  expect(backendLess.errors.map((e) => e.code)).toEqual(["UNAUTHORIZED_FIELD_OR_TYPE"]);
  expect(await operationsAtService()).toBe(before);
});

test("a scoped token mints through the router", async () => {
  const before = await operationsAtService();
  const client = await through(await identity.tokenFor("user-007", ["user"]));
  const { data, errors } = await client.request(op.ISSUE_MY, { scopes: ["CHAT"] });
  expect(errors).toEqual([]);
  expect(data!.issueMyAccessToken.token).toEqual(expect.any(String));
  expect(await operationsAtService()).toBe(before + 1);
});

test("users { communicationIdentity } resolves in one batched _entities call", async () => {
  const before = await operationsAtService();
  const batch = jest.spyOn(identity.store.identities, "findActiveByOwners");
  const client = await through(await identity.tokenFor("ops", ["admin"]));
  const { data, errors } = await client.request(
    `{ users(first: 100) { id name communicationIdentity { id owner } } }`,
  );
  expect(errors).toEqual([]);
  expect(data!.users).toHaveLength(USER_IDS.length);
  const owners = data!.users.filter((u: any) => u.communicationIdentity).map((u: any) => u.id);
  // user-007 minted in the test above, which created their identity.
  expect(owners).toEqual(["user-003", "user-007", "user-042", "user-099"]);
  expect(await operationsAtService()).toBe(before + 1);
  expect(batch).toHaveBeenCalledTimes(1);
  expect(batch.mock.calls[0][0]).toHaveLength(USER_IDS.length);
  batch.mockRestore();
});

test("without a token the users subgraph still answers and the identity fields are refused", async () => {
  const before = await operationsAtService();
  const { data, errors } = await (
    await through()
  ).request(`{ users(first: 3) { id name communicationIdentity { id } } }`);
  expect(errors.length).toBeGreaterThan(0);
  expect(data?.users?.[0]?.name ?? null).toBe("Name of user-000");
  expect(await operationsAtService()).toBe(before);
});
