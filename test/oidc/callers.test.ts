// Callers signed in at a real OpenID Provider (oidc-provider), not a stub: the service finds the
// issuer's keys by OIDC discovery, a backend signs in with client credentials and a user with the
// authorization code flow (login and consent forms, PKCE), the quickstart runs with those tokens, and
// the provider's key rotation is followed: new keys are picked up, a retired key's tokens are refused.
import { decodeJwt, decodeProtectedHeader } from "jose";
import { validateEmulatorToken } from "../../src/emulator/admin-client";
import { graphqlClient } from "../support/graphql-client";
import { startOidcProvider, type OidcClient, type RunningOidcProvider } from "../support/oidc-provider";
import * as op from "../support/operations";
import { startTestService, type TestService } from "../support/service";

const API = "api://acs-identity-graph";
const backend: OidcClient = {
  client_id: "backend",
  client_secret: randomSecret(),
  grant_types: ["client_credentials"],
};
const ops: OidcClient = {
  client_id: "ops",
  client_secret: randomSecret(),
  grant_types: ["client_credentials"],
};
const web: OidcClient = {
  client_id: "web",
  client_secret: randomSecret(),
  grant_types: ["authorization_code"],
  redirect_uris: ["http://127.0.0.1:9/callback"], // never called: the flow stops at the redirect
};

function randomSecret() {
  return `secret-${crypto.randomUUID()}`;
}

let provider: RunningOidcProvider;
let service: TestService;
beforeAll(async () => {
  provider = await startOidcProvider({
    clients: [backend, ops, web],
    resources: { [API]: { scope: "acs" } },
    defaultResource: { backend: API, ops: API },
    clientRoles: { backend: ["service"], ops: ["admin"] },
    userRoles: { alice: ["user"] },
  });
  service = await startTestService({
    AUTH_ISSUER: provider.issuer,
    AUTH_AUDIENCE: API,
    AUTH_JWKS_COOLDOWN_SECONDS: "1",
  });
}, 120_000); // an OpenID provider process and a service: slow to start on a busy machine
afterAll(async () => {
  await service?.stop();
  await provider?.stop();
});

const validity = (token: string) => validateEmulatorToken(service.emulator!.endpoint, token);
const as = (token: string) => graphqlClient(service.graphqlUrl, token);
// The service looks for new keys at most once per AUTH_JWKS_COOLDOWN_SECONDS (1 s here); nothing
// signals the end of that wait, so it is waited out.
const coolDown = () => new Promise((resolve) => setTimeout(resolve, 1100));

test("the whole quickstart with a user's authorization-code token and a backend's client-credentials token", async () => {
  expect(service.devIssuer).toBeUndefined(); // only the provider's tokens count here
  const aliceToken = await provider.authorizationCode(web, "alice", API, "acs");
  expect(decodeJwt(aliceToken)).toMatchObject({
    iss: provider.issuer,
    aud: API,
    sub: "alice",
    roles: ["user"],
  });
  expect(decodeProtectedHeader(aliceToken).typ).toBe("at+jwt");
  const alice = as(aliceToken);
  const viewer = (await alice.request(op.VIEWER)).data!.viewer;
  expect(viewer).toMatchObject({
    authenticated: true,
    subject: "alice",
    roles: ["user"],
    permissions: ["mint:self"],
  });

  // A user mints for themselves; the token works in ACS.
  const mine = await alice.request(op.ISSUE_MY, { scopes: ["CHAT", "VOIP"], minutes: 60 });
  expect(mine.errors).toEqual([]);
  expect(await validity(mine.data!.issueMyAccessToken.token)).toMatchObject({ valid: true });
  const aliceIdentity = mine.data!.issueMyAccessToken.identity.id;

  // A backend (role `service`) creates an identity for someone else and mints for it.
  const service_ = as(await provider.clientCredentials(backend));
  expect((await service_.request(op.VIEWER)).data!.viewer).toMatchObject({
    subject: "backend",
    roles: ["service"],
  });
  const created = await service_.request(op.CREATE_WITH_TOKEN, {
    owner: "bob",
    scopes: ["CHAT"],
    minutes: 60,
  });
  expect(created.errors).toEqual([]);
  const bob = created.data!.createCommunicationIdentityWithToken.identity.id;
  const issued = await service_.request(op.ISSUE, { id: bob, scopes: ["VOIP"], minutes: 60 });
  expect(issued.errors).toEqual([]);
  const bobToken = issued.data!.issueAccessToken.token;
  expect(await validity(bobToken)).toMatchObject({ valid: true, identity: bob });
  // Alice's token does not reach bob's identity (not even its existence).
  expect((await alice.request(op.ISSUE, { id: bob, scopes: ["CHAT"] })).errors.map((e) => e.code)).toEqual([
    "NOT_FOUND",
  ]);

  // Revoke: alice her own; delete is the admin's alone (the default policy).
  expect((await alice.request(op.REVOKE, { id: aliceIdentity })).errors).toEqual([]);
  expect(await validity(mine.data!.issueMyAccessToken.token)).toMatchObject({
    valid: false,
    reason: "revoked",
  });
  expect((await alice.request(op.DELETE, { id: aliceIdentity })).errors.map((e) => e.code)).toEqual([
    "FORBIDDEN",
  ]);
  expect((await service_.request(op.DELETE, { id: bob })).errors.map((e) => e.code)).toEqual(["FORBIDDEN"]);
  const admin = as(await provider.clientCredentials(ops));
  const deleted = await admin.request(op.DELETE, { id: bob });
  expect(deleted.errors).toEqual([]);
  expect(deleted.data!.deleteCommunicationIdentity.deletedAt).not.toBeNull();
  expect(await validity(bobToken)).toMatchObject({ valid: false });

  const requests = await provider.requests();
  // Discovery once, the JWKS at least once; the service asks nothing else of the provider.
  expect(requests["GET /.well-known/openid-configuration"]).toBe(1);
  expect(requests["GET /jwks"]).toBeGreaterThanOrEqual(1);
});

test("key rotation: a new key's tokens are accepted at once, a retired key's tokens are refused", async () => {
  const kid = (token: string) => decodeProtectedHeader(token).kid;
  const subjectOf = async (token: string) => {
    const { data, errors } = await as(token).request(op.VIEWER);
    return errors.length > 0 ? errors.map((e) => `${e.code}: ${e.message}`) : data!.viewer.subject;
  };
  const jwksFetches = async () => (await provider.requests())["GET /jwks"];
  const oldToken = await provider.clientCredentials(backend);
  expect(await subjectOf(oldToken)).toBe("backend");
  const fetchesBefore = await jwksFetches();

  // A second key is published and signs from now on; the old one is still published.
  await coolDown();
  const [added, old] = await provider.addKey();
  expect(old).toBe(kid(oldToken));
  const newToken = await provider.clientCredentials(backend);
  expect(kid(newToken)).toBe(added);
  expect(await subjectOf(newToken)).toBe("backend"); // an unknown kid: the service fetched the keys again
  expect(await subjectOf(oldToken)).toBe("backend");

  // A third key arrives and the first is retired: its tokens stop verifying once the service looks again.
  await coolDown();
  await provider.addKey();
  const published = await provider.retireOldestKey();
  expect(published).not.toContain(kid(oldToken));
  const newest = await provider.clientCredentials(backend);
  expect(await subjectOf(newest)).toBe("backend");
  expect(await subjectOf(oldToken)).toEqual([
    "UNAUTHENTICATED: The bearer token's signing key is not known.",
  ]);
  expect(await subjectOf(newToken)).toBe("backend");
  expect((await jwksFetches()) - fetchesBefore).toBe(2);
});
