// The emulator's HTTPS front and its Entra ID bearer check, request by request: a token is accepted
// only when signed by the issuer's key, from that issuer, for the ACS audience and unexpired; every
// other token gets the same 401 Denied, and the access key's HMAC signatures keep working beside it.
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { trustPolicies } from "../../src/acs/credential";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { sdkClient } from "../support/emulator";
import {
  newSigningKey,
  signWith,
  startJwksServer,
  type JwksServer,
  type SigningKey,
} from "../support/jwks-server";
import { recordSecret } from "../support/secret-sweep";
import { request } from "../support/tls-request";

let issuerKey: SigningKey;
let otherKey: SigningKey;
let issuer: JwksServer;
let emulator: RunningEmulator;
beforeAll(async () => {
  [issuerKey, otherKey] = await Promise.all([newSigningKey("issuer-key"), newSigningKey("other-key")]);
  issuer = await startJwksServer([issuerKey]);
  emulator = await startEmulator({ https: true, entra: { issuer: issuer.url, jwksUrl: issuer.jwksUrl } });
});
afterAll(async () => {
  await emulator?.close();
  await issuer?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: issuer.url,
  aud: "https://communication.azure.com",
  sub: "service-principal",
  iat: now(),
  exp: now() + 600,
  ...overrides,
});
async function createIdentityWith(token: string) {
  recordSecret("Entra ID token", token);
  const response = await request(`${emulator.endpoint}identities?api-version=2023-10-01`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: "{}",
    ca: emulator.certificate,
  });
  return { status: response.status, code: response.status >= 400 ? response.json().error.code : undefined };
}

test("serves HTTPS with a generated certificate that clients trust by its PEM, and nothing else", async () => {
  expect(emulator.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
  expect(emulator.certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
  const trusted = await request(`${emulator.endpoint}_emulator/stats`, { ca: emulator.certificate });
  expect(trusted.status).toBe(200);
  await expect(request(`${emulator.endpoint}_emulator/stats`)).rejects.toMatchObject({
    code: "DEPTH_ZERO_SELF_SIGNED_CERT",
  });
});

test("accepts a token signed by the issuer's key, for the ACS audience (with or without the trailing slash)", async () => {
  expect(await createIdentityWith(await signWith(issuerKey, claims()))).toEqual({ status: 201 });
  expect(
    await createIdentityWith(await signWith(issuerKey, claims({ aud: "https://communication.azure.com/" }))),
  ).toEqual({ status: 201 });
});

test.each([
  ["for another audience", async () => signWith(issuerKey, claims({ aud: "https://management.azure.com" }))],
  ["from another issuer", async () => signWith(issuerKey, claims({ iss: "https://sts.windows.net/other/" }))],
  ["that has expired", async () => signWith(issuerKey, claims({ iat: now() - 900, exp: now() - 300 }))],
  ["without an expiry", async () => signWith(issuerKey, claims({ exp: undefined }))],
  [
    "signed by a key the issuer does not publish",
    async () => signWith(otherKey, claims(), { kid: "issuer-key" }),
  ],
  ["naming an unknown key", async () => signWith(otherKey, claims())],
  ["that is not a JWT", async () => "not-a-jwt"],
])("refuses a token %s: 401 Denied, nothing created", async (_case, token) => {
  const before = emulator.stats();
  expect(await createIdentityWith(await token())).toEqual({ status: 401, code: "Denied" });
  expect(emulator.stats()).toMatchObject({
    identitiesCreated: before.identitiesCreated,
    bearerRefused: before.bearerRefused + 1,
  });
});

test("the access key's HMAC signatures still work over HTTPS (the SDK with the connection string)", async () => {
  const client = sdkClient(emulator.connectionString);
  // The SDK trusts only public CAs: the emulator's certificate must be trusted explicitly.
  await expect(client.createUser()).rejects.toMatchObject({ code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
  const caFile = path.join(mkdtempSync(path.join(os.tmpdir(), "emulator-ca-")), "ca.pem");
  writeFileSync(caFile, emulator.certificate!);
  const trusting = new CommunicationIdentityClient(emulator.connectionString, {
    additionalPolicies: trustPolicies(caFile),
  });
  expect((await trusting.createUser()).communicationUserId).toMatch(/^8:acs:/);
});

test("without an Entra ID issuer, bearer tokens are refused; and an issuer needs HTTPS", async () => {
  const plain = await startEmulator({ https: true });
  try {
    const response = await request(`${plain.endpoint}identities?api-version=2023-10-01`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await signWith(issuerKey, claims())}`,
        "content-type": "application/json",
      },
      body: "{}",
      ca: plain.certificate,
    });
    expect(response.status).toBe(401);
    expect(plain.stats()).toMatchObject({ bearerRefused: 1, identitiesCreated: 0 });
  } finally {
    await plain.close();
  }
  await expect(startEmulator({ entra: { issuer: issuer.url } })).rejects.toThrow(/entra needs https/);
});
