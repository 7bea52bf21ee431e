// The Teams user token exchange against a local Entra-like issuer.
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { validateEmulatorToken } from "../../src/emulator/admin-client";
import { decodeClaims, sdkClient, sdkError } from "../support/emulator";

const ISSUER = "https://login.microsoftonline.test/tenant/v2.0";
const APP_ID = "11111111-2222-3333-4444-555555555555";
const USER_ID = "66666666-7777-8888-9999-000000000000";
let emulator: RunningEmulator;
let teamsKey: Awaited<ReturnType<typeof generateKeyPair>>;

beforeAll(async () => {
  teamsKey = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(teamsKey.publicKey)), kid: "teams", alg: "RS256" };
  emulator = await startEmulator({ teams: { issuer: ISSUER, jwks: { keys: [jwk] } } });
});
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
  const { token, expiresOn } = await exchange(await aadToken());
  expect(decodeClaims(token)).toMatchObject({ skypeid: `orgid:${USER_ID}` });
  expect(expiresOn.getTime()).toBeGreaterThan(Date.now() + 59 * 60_000);
  expect(await validateEmulatorToken(emulator.endpoint, token)).toMatchObject({ valid: true });
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
])("throws an error when attempting to exchange %s", async (_name, clientId, userId, message) => {
  expect(await sdkError(exchange(await aadToken(), clientId, userId))).toEqual({
    statusCode: 400,
    code: "ValidationError",
    message,
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
