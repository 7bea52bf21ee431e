// The Teams user token exchange against a local Entra-like issuer.
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { validateEmulatorToken } from "../../src/emulator/admin-client";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { decodeClaims, sdkClient, sdkError, sdkErrorBody } from "../support/emulator";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

// Tests here start services (or emulators, or child processes) of their own.
jest.setTimeout(SERVICE_START_TIMEOUT_MS);

const ISSUER = "https://login.microsoftonline.test/tenant/v2.0";
const APP_ID = "11111111-2222-3333-4444-555555555555";
const USER_ID = "66666666-7777-8888-9999-000000000000";
let emulator: RunningEmulator;
let teamsKey: Awaited<ReturnType<typeof generateKeyPair>>;

beforeAll(async () => {
  teamsKey = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(teamsKey.publicKey)), kid: "teams", alg: "RS256" };
  emulator = await startEmulator({ teams: { issuer: ISSUER, jwks: { keys: [jwk] } } });
}, SERVICE_START_TIMEOUT_MS);
afterAll(() => emulator?.close());

const aadToken = (claims: Record<string, unknown> = {}, expiresIn = "1h", key = teamsKey.privateKey) =>
  new SignJWT({ oid: USER_ID, appid: APP_ID, ...claims })
    .setProtectedHeader({ alg: "RS256", kid: "teams" })
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key);

const exchange = (teamsUserAadToken: string, clientId = APP_ID, userObjectId = USER_ID) =>
  sdkClient(emulator.connectionString).getTokenForTeamsUser({ teamsUserAadToken, clientId, userObjectId });

test("successfully exchanges a Teams User AAD token for a Communication access token", async () => {
  const aad = await aadToken();
  const { token, expiresOn } = await exchange(aad);
  expect(decodeClaims(token)).toMatchObject({ skypeid: `orgid:${USER_ID}`, resourceId: emulator.resourceId });
  // It expires with the Entra ID token.
  expect(expiresOn.getTime()).toBe((decodeClaims(aad).exp as number) * 1000);
  expect(await validateEmulatorToken(emulator.endpoint, token)).toMatchObject({
    valid: true,
    identity: `8:orgid:${USER_ID}`,
  });
});

test("the exchanged token never lives longer than 24 hours", async () => {
  const before = Date.now();
  const { expiresOn } = await exchange(await aadToken({}, "48h"));
  expect(expiresOn.getTime()).toBeGreaterThanOrEqual(before + 1440 * 60_000);
  expect(expiresOn.getTime()).toBeLessThanOrEqual(Date.now() + 1440 * 60_000);
});

test("a v2 token naming the client in azp (not appid) is accepted", async () => {
  const { token } = await exchange(await aadToken({ appid: undefined, azp: APP_ID }));
  expect(token.split(".")).toHaveLength(3);
});

const INVALID_TOKEN = {
  statusCode: 401,
  code: "InvalidAccessToken",
  message: "Provided access token is not valid.",
};
test.each<[string, () => Promise<string>]>([
  ["an empty teamsUserAadToken", async () => ""],
  ["an invalid teamsUserAadToken", async () => "invalid.aad.token"],
  ["an expired teamsUserAadToken", () => aadToken({}, "-10m")],
  [
    "a token from another issuer's key",
    async () => aadToken({}, "1h", (await generateKeyPair("RS256")).privateKey),
  ],
])("throws an error when attempting to exchange %s", async (_name, token) => {
  expect(await sdkError(exchange(await token()))).toEqual(INVALID_TOKEN);
});

test.each([
  ["an empty clientId", "", USER_ID, "AppId: The AppId field is required.", "AppId"],
  ["an invalid clientId", "not-a-guid", USER_ID, "Provided AppId has invalid format.", "appId"],
  [
    "a wrong clientId",
    "aaaaaaaa-2222-3333-4444-555555555555",
    USER_ID,
    "Provided AppId has invalid format.",
    "appId",
  ],
  ["an empty userObjectId", APP_ID, "", "UserId: The UserId field is required.", "UserId"],
  ["an invalid userObjectId", APP_ID, "not-a-guid", "Provided UserId has invalid format.", "userId"],
  [
    "a wrong userObjectId",
    APP_ID,
    "bbbbbbbb-7777-8888-9999-000000000000",
    "Provided UserId has invalid format.",
    "userId",
  ],
])("throws an error when attempting to exchange %s", async (_name, clientId, userId, message, target) => {
  expect(await sdkErrorBody(exchange(await aadToken(), clientId, userId))).toEqual({
    statusCode: 400,
    code: "ValidationError",
    message,
    target,
  });
});

test("without a Teams issuer configured every exchange is refused", async () => {
  const plain = await startEmulator();
  try {
    const client = sdkClient(plain.connectionString);
    expect(
      await sdkError(
        client.getTokenForTeamsUser({
          teamsUserAadToken: await aadToken(),
          clientId: APP_ID,
          userObjectId: USER_ID,
        }),
      ),
    ).toEqual(INVALID_TOKEN);
  } finally {
    await plain.close();
  }
});

describe("keys from a URL", () => {
  // A local stand-in for Entra ID: OIDC discovery document and JWKS over HTTP.
  let idp: http.Server;
  let idpUrl: string;
  beforeAll(async () => {
    const jwks = { keys: [{ ...(await exportJWK(teamsKey.publicKey)), kid: "teams", alg: "RS256" }] };
    idp = http.createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/tenant/v2.0/.well-known/openid-configuration")
        res.end(JSON.stringify({ issuer: `${idpUrl}/tenant/v2.0`, jwks_uri: `${idpUrl}/keys` }));
      else if (req.url === "/keys") res.end(JSON.stringify(jwks));
      else res.writeHead(404).end("{}");
    });
    await new Promise<void>((resolve) => idp.listen(0, "127.0.0.1", resolve));
    idpUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => idp.close(resolve)));

  const tokenFrom = (issuer: string, claims: Record<string, unknown> = {}) =>
    new SignJWT({ oid: USER_ID, appid: APP_ID, ...claims })
      .setProtectedHeader({ alg: "RS256", kid: "teams" })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(teamsKey.privateKey);

  test.each([
    ["a JWKS URL", (issuer: string) => ({ issuer, jwksUrl: `${idpUrl}/keys` })],
    ["OIDC discovery on the issuer", (issuer: string) => ({ issuer })],
  ])("verifies Teams tokens with %s, and checks the audience when configured", async (_name, teams) => {
    const issuer = `${idpUrl}/tenant/v2.0`;
    const withKeys = await startEmulator({ teams: { ...teams(issuer), audience: "api://acs" } });
    try {
      const client = sdkClient(withKeys.connectionString);
      const exchangeWith = async (claims: Record<string, unknown>, from = issuer) =>
        client.getTokenForTeamsUser({
          teamsUserAadToken: await tokenFrom(from, claims),
          clientId: APP_ID,
          userObjectId: USER_ID,
        });
      expect((await exchangeWith({ aud: "api://acs" })).token).toBeTruthy();
      expect(await sdkError(exchangeWith({ aud: "api://other" }))).toEqual(INVALID_TOKEN);
      expect(await sdkError(exchangeWith({ aud: "api://acs" }, "https://evil.example"))).toEqual(
        INVALID_TOKEN,
      );
    } finally {
      await withKeys.close();
    }
  });
});
