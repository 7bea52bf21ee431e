// Revocation and deletion mean something; customId and GET identity (2025-03-02-preview).
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { validateEmulatorToken } from "../../src/emulator/admin-client";
import { sdkClient, sdkError, send, signedRequest } from "../support/emulator";

let emulator: RunningEmulator;
let client: ReturnType<typeof sdkClient>;
beforeAll(async () => {
  emulator = await startEmulator();
  client = sdkClient(emulator.connectionString);
});
afterAll(() => emulator?.close());

const validity = (token: string) => validateEmulatorToken(emulator.endpoint, token);

test("a token issued before revoke is invalid after it; one issued after is valid, even in the same second", async () => {
  const { user, token: before } = await client.createUserAndToken(["chat"]);
  expect(await validity(before)).toMatchObject({
    valid: true,
    identity: user.communicationUserId,
    scopes: ["chat"],
  });
  await client.revokeTokens(user);
  const { token: after } = await client.getToken(user, ["chat"]);
  expect(await validity(before)).toMatchObject({ valid: false, reason: "revoked" });
  expect(await validity(after)).toMatchObject({ valid: true });
});

test("delete invalidates tokens, and further operations get 404 IdentityNotFound", async () => {
  const { user, token } = await client.createUserAndToken(["voip"]);
  await client.deleteUser(user);
  expect(await validity(token)).toMatchObject({ valid: false, reason: "identity_deleted" });
  const notFound = { statusCode: 404, code: "IdentityNotFound" };
  expect(await sdkError(client.getToken(user, ["voip"]))).toMatchObject(notFound);
  expect(await sdkError(client.revokeTokens(user))).toMatchObject(notFound);
  expect(await sdkError(client.deleteUser(user))).toMatchObject(notFound);
});

test("the validity endpoint tells forged, malformed and expired tokens apart", async () => {
  const { token } = await client.createUserAndToken(["chat"]);
  const [header, payload] = token.split(".");
  const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), acsScope: "voip" })).toString("base64url")}.${token.split(".")[2]}`;
  expect(await validity(forged)).toMatchObject({ valid: false, reason: "bad_signature" });
  expect(await validity("not-a-token")).toMatchObject({ valid: false, reason: "malformed" });
});

test("the JWKS verifies the tokens", async () => {
  const { createLocalJWKSet, jwtVerify } = await import("jose");
  const jwks = await (await fetch(new URL(".well-known/jwks.json", emulator.endpoint))).json();
  const { token } = await client.createUserAndToken(["chat"]);
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never));
  expect(payload.acsScope).toBe("chat");
});

describe("2025-03-02-preview", () => {
  const preview = () => sdkClient(emulator.connectionString, { apiVersion: "2025-03-02-preview" });
  const create = (body: object) =>
    send(
      signedRequest(emulator.endpoint, emulator.accessKey, {
        method: "POST",
        pathAndQuery: "/identities?api-version=2025-03-02-preview",
        body: JSON.stringify(body),
      }),
    );
  const get = (id: string, version = "2025-03-02-preview") =>
    send(
      signedRequest(emulator.endpoint, emulator.accessKey, {
        method: "GET",
        pathAndQuery: `/identities/${encodeURIComponent(id)}?api-version=${version}`,
      }),
    );

  test("the same customId yields the same identity (201 both times)", async () => {
    const first = await create({ customId: "alice@contoso.com" });
    const second = await create({ customId: "alice@contoso.com", createTokenWithScopes: ["chat"] });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.json!.identity.id).toBe(first.json!.identity.id);
    expect(second.json!.identity.customId).toBe("alice@contoso.com");
    expect(second.json!.identity.lastTokenIssuedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(second.json!.accessToken.token).toBeTruthy();
  });

  test("GET /identities/{id} returns customId and lastTokenIssuedAt", async () => {
    const id = (await create({ customId: "bob@contoso.com" })).json!.identity.id;
    const before = await get(id);
    expect(before.status).toBe(200);
    expect(before.json).toEqual({ id, customId: "bob@contoso.com" });
    await preview().getToken({ communicationUserId: id }, ["chat"]);
    expect((await get(id)).json!.lastTokenIssuedAt).toBeDefined();
  });

  test("the SDK sends the preview api-version when asked, and the emulator serves it", async () => {
    const { user } = await preview().createUserAndToken(["voip"]);
    expect((await get(user.communicationUserId)).status).toBe(200);
  });

  test("customId is ignored on 2023-10-01, and GET needs the preview version", async () => {
    const response = await send(
      signedRequest(emulator.endpoint, emulator.accessKey, {
        method: "POST",
        pathAndQuery: "/identities?api-version=2023-10-01",
        body: '{"customId":"carol"}',
      }),
    );
    expect(response.json!.identity).toEqual({ id: expect.any(String) });
    expect((await get(response.json!.identity.id, "2023-10-01")).status).toBe(404);
  });
});
