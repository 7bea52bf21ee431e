// The production path, offline: the service on ACS_ENDPOINT with a real @azure/identity credential
// (ClientSecretCredential, i.e. MSAL) instead of an access key. The authority is a real OpenID provider
// (oidc-provider) served over HTTPS at the path where MSAL looks for an Entra ID tenant; the ACS
// endpoint is the emulator over HTTPS, verifying each bearer token against that provider's keys. Both
// certificates are private: the service trusts them through ACS_CA_FILE only.
import { decodeJwt } from "jose";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ACS_SCOPE } from "../../src/acs/credential";
import { generateCertificate, startEmulator, type RunningEmulator } from "../../src/emulator";
import { startOidcProvider, type OidcClient, type RunningOidcProvider } from "../support/oidc-provider";
import * as op from "../support/operations";
import { recordSecret } from "../support/secret-sweep";
import { startTestService, type TestService } from "../support/service";
import { request } from "../support/tls-request";

const TENANT = "72f988bf-0000-4000-8000-00000000c0de";
const ACS_RESOURCE = "https://communication.azure.com";
const app: OidcClient = {
  client_id: "2b1c3d4e-0000-4000-8000-0000000000a1",
  client_secret: `entra-secret-${crypto.randomUUID()}`,
  grant_types: ["client_credentials"],
};

let dir: string;
let provider: RunningOidcProvider;
let emulator: RunningEmulator;
let service: TestService;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "entra-"));
  const providerTls = await generateCertificate(["127.0.0.1"]);
  provider = await startOidcProvider({
    tls: providerTls,
    basePath: `/${TENANT}/v2.0`,
    clients: [app],
    resources: { [ACS_RESOURCE]: { scope: ACS_SCOPE } },
    defaultResource: { [app.client_id]: ACS_RESOURCE },
  });
  emulator = await startEmulator({ https: true, entra: { issuer: provider.issuer, ca: providerTls.cert } });
  const caFile = path.join(dir, "private-ca.pem");
  writeFileSync(caFile, `${providerTls.cert}${emulator.certificate}`);
  recordSecret("Azure client secret", app.client_secret);
  service = await startTestService({
    ACS_ENDPOINT: emulator.endpoint,
    ACS_CREDENTIAL: "client-secret",
    AZURE_TENANT_ID: TENANT,
    AZURE_CLIENT_ID: app.client_id,
    AZURE_CLIENT_SECRET: app.client_secret,
    AZURE_AUTHORITY_HOST: provider.origin,
    ACS_CA_FILE: caFile,
  });
}, 120_000); // an OpenID provider process, the emulator and a service: slow to start on a busy machine
afterAll(async () => {
  await service?.stop();
  await emulator?.close();
  await provider?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const validity = async (token: string) =>
  (
    await request(`${emulator.endpoint}_emulator/tokens/validate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
      ca: emulator.certificate,
    })
  ).json();

test("the whole quickstart runs on an Entra ID token from a real credential, over HTTPS", async () => {
  expect(service.emulator).toBeUndefined(); // the service talks to ACS_ENDPOINT, not its own emulator
  // Readiness describes this replica and never calls ACS; ACS health comes from real traffic.
  const ready = await request(`${service.url}/readyz`);
  expect(ready.status).toBe(200);
  const alice = await service.as("alice", ["user"]);
  const mine = await alice.request(op.ISSUE_MY, { scopes: ["CHAT", "VOIP"], minutes: 60 });
  expect(mine.errors).toEqual([]);
  expect(await validity(mine.data!.issueMyAccessToken.token)).toMatchObject({ valid: true });

  const backend = await service.as("backend", ["service"]);
  const created = await backend.request(op.CREATE_WITH_TOKEN, {
    owner: "bob",
    scopes: ["CHAT"],
    minutes: 60,
  });
  expect(created.errors).toEqual([]);
  const bob = created.data!.createCommunicationIdentityWithToken.identity.id;
  const issued = await backend.request(op.ISSUE, { id: bob, scopes: ["VOIP"], minutes: 60 });
  expect(issued.errors).toEqual([]);
  const bobToken = issued.data!.issueAccessToken.token;
  expect(await validity(bobToken)).toMatchObject({ valid: true, identity: bob });

  const admin = await service.as("ops", ["admin"]);
  expect((await admin.request(op.REVOKE, { id: bob })).errors).toEqual([]);
  expect(await validity(bobToken)).toMatchObject({ valid: false, reason: "revoked" });
  const deleted = await admin.request(op.DELETE, { id: bob });
  expect(deleted.errors).toEqual([]);
  expect(deleted.data!.deleteCommunicationIdentity.deletedAt).not.toBeNull();

  // Every ACS call carried a bearer token the emulator verified; none was signed with the access key.
  const stats = emulator.stats();
  expect(stats.bearerRefused).toBe(0);
  expect(stats.bearerAccepted).toBe(stats.requests);
  expect(stats.requests).toBeGreaterThanOrEqual(7); // 2 creates, 3 issues, 1 revoke, 1 delete
  // MSAL found the token endpoint by the tenant's metadata and reused its token (cached until near expiry).
  const asked = await provider.requests();
  expect(asked["POST /token"]).toBe(1);
  expect(asked["GET /.well-known/openid-configuration"]).toBeGreaterThanOrEqual(1);
});

test("the token the credential obtained is an Entra-shaped ACS token: issuer, audience, scope", async () => {
  const tokenRequest = await request(`${provider.issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: app.client_id,
      client_secret: app.client_secret,
      scope: ACS_SCOPE,
    }).toString(),
    ca: undefined,
  }).catch((error: { code?: string }) => error.code);
  // The provider's certificate is private: no client reaches it without trusting it.
  expect(tokenRequest).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
  const token = await provider.clientCredentials(app, undefined, ACS_SCOPE);
  expect(decodeJwt(token)).toMatchObject({
    iss: `${provider.origin}/${TENANT}/v2.0`,
    aud: ACS_RESOURCE,
    scope: ACS_SCOPE,
    sub: app.client_id,
  });
});

test("a wrong client secret: callers get ACS_UNAVAILABLE, ACS is not called, the secret is not told", async () => {
  recordSecret("Azure client secret", "not-the-secret-at-all");
  const wrong = await startTestService({
    ACS_ENDPOINT: emulator.endpoint,
    ACS_CREDENTIAL: "client-secret",
    AZURE_TENANT_ID: TENANT,
    AZURE_CLIENT_ID: app.client_id,
    AZURE_CLIENT_SECRET: "not-the-secret-at-all",
    AZURE_AUTHORITY_HOST: provider.origin,
    ACS_CA_FILE: path.join(dir, "private-ca.pem"),
    ACS_MAX_RETRIES: "0",
  });
  try {
    const alice = await wrong.as("alice", ["user"]);
    const tokenRequests = async () => (await provider.requests())["POST /token"] ?? 0;
    const before = { acs: emulator.stats(), tokenRequests: await tokenRequests() };
    const result = await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] });
    expect(result.data).toBeNull();
    expect(result.errors.map((e) => [e.code, e.message])).toEqual([
      ["ACS_UNAVAILABLE", "The service could not get an Entra ID token for Azure Communication Services."],
    ]);
    // The authority refused the secret once; nothing reached ACS, nothing was recorded as issued.
    expect((await tokenRequests()) - before.tokenRequests).toBe(1);
    expect(emulator.stats().requests).toBe(before.acs.requests);
    expect(await wrong.store.identities.findActiveByOwner("alice")).toBeUndefined();
    // The replica stays ready (ACS is shared by every replica); the detail names ACS's last failure.
    const ready = await request(`${wrong.url}/readyz`);
    expect(ready.status).toBe(200);
    const detail = (await request(`${wrong.url}/readyz/detail`)).json();
    expect(detail.acs.lastFailure).toMatchObject({ code: "ACS_UNAVAILABLE" });
  } finally {
    await wrong.stop();
  }
}, 120_000);
