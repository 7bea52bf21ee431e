// Every SDK 1.3.1 operation against the emulator, over real HTTP, asserting what the real service
// returns where recordings show it.
import type { TokenScope } from "@azure/communication-identity";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { validateEmulatorToken } from "../../src/emulator/admin-client";
import {
  decodeClaims,
  decodeHeader,
  sdkClient,
  sdkError,
  sdkErrorBody,
  send,
  signedRequest,
} from "../support/emulator";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

let emulator: RunningEmulator;
let client: ReturnType<typeof sdkClient>;
beforeAll(async () => {
  emulator = await startEmulator();
  client = sdkClient(emulator.connectionString);
}, SERVICE_START_TIMEOUT_MS);
afterAll(() => emulator?.close());

const SCENARIOS: Array<[string, TokenScope[]]> = [
  ["ChatScope", ["chat"]],
  ["VoipScope", ["voip"]],
  ["ChatJoinScope", ["chat.join"]],
  ["ChatJoinLimitedScope", ["chat.join.limited"]],
  ["VoipJoinScope", ["voip.join"]],
  ["ChatVoipScopes", ["chat", "voip"]],
  ["AllChatScopes", ["chat", "chat.join", "chat.join.limited"]],
  ["AllVoipScopes", ["voip", "voip.join"]],
  ["ChatJoinVoipJoinScopes", ["chat.join", "voip.join"]],
];
const ID = /^8:acs:[0-9a-f-]{36}_[0-9a-f-]{36}$/;

test("successfully creates a user", async () => {
  const user = await client.createUser();
  expect(user.communicationUserId).toMatch(ID);
  expect(user.communicationUserId.split("_")).toHaveLength(2);
  expect(user.communicationUserId).toContain(emulator.resourceId);
});

test.each(SCENARIOS)("successfully creates a user and token %s", async (_name, scopes) => {
  const before = Date.now();
  const { user, token, expiresOn } = await client.createUserAndToken(scopes);
  expect(user.communicationUserId).toMatch(ID);
  expect(expiresOn.getTime()).toBeGreaterThanOrEqual(before + 1440 * 60_000 - 1000);
  expect(expiresOn.getTime()).toBeLessThanOrEqual(Date.now() + 1440 * 60_000);
  expect(decodeClaims(token)).toMatchObject({
    skypeid: user.communicationUserId.slice(2),
    acsScope: scopes.join(","),
    scp: 1792,
    resourceId: emulator.resourceId,
  });
  expect(await validateEmulatorToken(emulator.endpoint, token)).toMatchObject({ valid: true, scopes });
});

test.each(SCENARIOS)("successfully gets a token for a user %s", async (_name, scopes) => {
  const user = await client.createUser();
  const { token, expiresOn } = await client.getToken(user, scopes);
  const claims = decodeClaims(token);
  expect(decodeHeader(token)).toMatchObject({ alg: "RS256", kid: expect.any(String) });
  expect(claims).toMatchObject({
    skypeid: user.communicationUserId.slice(2),
    acsScope: scopes.join(","),
    scp: 1792,
    resourceId: emulator.resourceId,
  });
  expect(claims.csi).toBe(String(claims.iat));
  expect((claims.exp as number) - (claims.iat as number)).toBe(1440 * 60);
  expect(Math.abs(expiresOn.getTime() - (claims.exp as number) * 1000)).toBeLessThan(1000);
});

describe.each([60, 1440])("custom expiration %i (valid)", (minutes) => {
  test("getToken", async () => {
    const user = await client.createUser();
    const before = Date.now();
    const { expiresOn } = await client.getToken(user, ["chat"], { tokenExpiresInMinutes: minutes });
    expect(expiresOn.getTime()).toBeGreaterThanOrEqual(before + minutes * 60_000 - 1);
    expect(expiresOn.getTime()).toBeLessThanOrEqual(Date.now() + minutes * 60_000);
  });
  test("createUserAndToken", async () => {
    const before = Date.now();
    const { expiresOn } = await client.createUserAndToken(["chat"], { tokenExpiresInMinutes: minutes });
    expect(expiresOn.getTime()).toBeGreaterThanOrEqual(before + minutes * 60_000 - 1);
    expect(expiresOn.getTime()).toBeLessThanOrEqual(Date.now() + minutes * 60_000);
  });
});

describe.each([59, 1441])("custom expiration %i (invalid)", (minutes) => {
  const message = `ExpiresInMinutes value ${minutes} is invalid. Value must be within the [60, 1440] interval.`;
  test("getToken is refused with the recorded error", async () => {
    const user = await client.createUser();
    expect(await sdkErrorBody(client.getToken(user, ["chat"], { tokenExpiresInMinutes: minutes }))).toEqual({
      statusCode: 400,
      code: "ValidationError",
      message,
      target: "ExpiresInMinutes",
    });
  });
  test("createUserAndToken is refused and creates nothing", async () => {
    const created = emulator.stats().identitiesCreated;
    expect(await sdkError(client.createUserAndToken(["chat"], { tokenExpiresInMinutes: minutes }))).toEqual({
      statusCode: 400,
      code: "ValidationError",
      message,
    });
    expect(emulator.stats().identitiesCreated).toBe(created);
  });
});

test("expiresOn on the wire has 7 fractional digits and +00:00, exactly issue time plus the minutes", async () => {
  const user = await client.createUser();
  const path = `/identities/${encodeURIComponent(user.communicationUserId)}/:issueAccessToken?api-version=2023-10-01`;
  const before = Date.now();
  const response = await send(
    signedRequest(emulator.endpoint, emulator.accessKey, {
      method: "POST",
      pathAndQuery: path,
      body: '{"scopes":["chat"],"expiresInMinutes":60}',
    }),
  );
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  expect(response.json!.expiresOn).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00$/);
  const expires = Date.parse(response.json!.expiresOn);
  const issuedAt = expires - 60 * 60_000;
  expect(issuedAt).toBeGreaterThanOrEqual(before);
  expect(issuedAt).toBeLessThanOrEqual(Date.now());
  expect(decodeClaims(response.json!.token).emu_iat_ms).toBe(issuedAt);
});

describe("Error Cases:", () => {
  const OTHER_RESOURCE = "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000";
  const notOwned = {
    statusCode: 401,
    code: "IdentityNotOwned",
    message: "Provided identity doesn't belong to the resource.",
  };

  test("throws an error when attempting to issue a token without any scopes", async () => {
    const user = await client.createUser();
    expect(await sdkErrorBody(client.getToken(user, []))).toEqual({
      statusCode: 400,
      code: "ValidationError",
      message: "Invalid scopes - Scopes field is required.",
      target: "scopes",
    });
  });
  test("missing scopes (raw HTTP; the SDK refuses to send it) get the same error", async () => {
    const user = await client.createUser();
    const response = await send(
      signedRequest(emulator.endpoint, emulator.accessKey, {
        method: "POST",
        pathAndQuery: `/identities/${encodeURIComponent(user.communicationUserId)}/:issueAccessToken?api-version=2023-10-01`,
        body: '{"expiresInMinutes":60}',
      }),
    );
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      error: {
        code: "ValidationError",
        message: "Invalid scopes - Scopes field is required.",
        target: "scopes",
      },
    });
  });
  test("createUserAndToken with no scopes is refused the same way (our choice)", async () => {
    expect(await sdkErrorBody(client.createUserAndToken([]))).toMatchObject({
      statusCode: 400,
      code: "ValidationError",
      target: "scopes",
    });
  });
  test("an issue request without a body is 400 BadRequest (our choice)", async () => {
    const user = await client.createUser();
    const response = await send(
      signedRequest(emulator.endpoint, emulator.accessKey, {
        method: "POST",
        pathAndQuery: `/identities/${encodeURIComponent(user.communicationUserId)}/:issueAccessToken?api-version=2023-10-01`,
        body: "",
      }),
    );
    expect(response.status).toBe(400);
    expect(response.json!.error.code).toBe("BadRequest");
  });
  test("throws an error when attempting to issue a token for an invalid user", async () => {
    expect(await sdkError(client.getToken({ communicationUserId: OTHER_RESOURCE }, ["chat"]))).toEqual(
      notOwned,
    );
  });
  test("throws an error when attempting to revoke a token from an invalid user", async () => {
    expect(await sdkError(client.revokeTokens({ communicationUserId: OTHER_RESOURCE }))).toEqual(notOwned);
  });
  test("throws an error when attempting to delete an invalid user", async () => {
    expect(await sdkError(client.deleteUser({ communicationUserId: OTHER_RESOURCE }))).toEqual(notOwned);
  });
  test("an unknown scope is a ValidationError on scopes", async () => {
    const user = await client.createUser();
    expect(await sdkErrorBody(client.getToken(user, ["bogus-scope" as TokenScope]))).toMatchObject({
      statusCode: 400,
      code: "ValidationError",
      target: "scopes",
    });
  });
  test("a malformed id is a ValidationError", async () => {
    for (const id of ["8:acs:a b/c?d", `8:acs:${emulator.resourceId}_a_b`, "not-an-id"]) {
      expect(await sdkErrorBody(client.getToken({ communicationUserId: id }, ["chat"]))).toMatchObject({
        statusCode: 400,
        code: "ValidationError",
        target: "id",
      });
      expect(await sdkError(client.deleteUser({ communicationUserId: id }))).toMatchObject({
        statusCode: 400,
        code: "ValidationError",
      });
    }
  });
  test("a never-created identity of this resource is 404 IdentityNotFound", async () => {
    const id = `8:acs:${emulator.resourceId}_00000000-0000-0000-0000-000000000001`;
    expect(await sdkError(client.getToken({ communicationUserId: id }, ["chat"]))).toMatchObject({
      statusCode: 404,
      code: "IdentityNotFound",
    });
  });
});

test("successfully revokes tokens issued for a user, and deletes a user", async () => {
  const { user, token } = await client.createUserAndToken(["chat"]);
  await client.revokeTokens(user);
  expect(await validateEmulatorToken(emulator.endpoint, token)).toMatchObject({
    valid: false,
    reason: "revoked",
  });
  await client.deleteUser(user);
  expect(await sdkError(client.getToken(user, ["chat"]))).toMatchObject({
    statusCode: 404,
    code: "IdentityNotFound",
  });
});
