// Revocation and deletion mean something; customId and GET identity (2025-03-02-preview).
import { CommunicationIdentityClient } from "@azure/communication-identity";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { validateEmulatorToken } from "../../src/emulator/admin-client";
import { handleAcsRequest, type AcsContext } from "../../src/emulator/routes";
import { EmulatorState } from "../../src/emulator/state";
import { newSigningKey, TokenSigner } from "../../src/emulator/tokens";
import { validateToken } from "../../src/emulator/validity";
import { decodeClaims, sdkClient, sdkError, send, signedRequest } from "../support/emulator";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

let emulator: RunningEmulator;
let client: ReturnType<typeof sdkClient>;
beforeAll(async () => {
  emulator = await startEmulator();
  client = sdkClient(emulator.connectionString);
}, SERVICE_START_TIMEOUT_MS);
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

test("revocation holds within one millisecond: before-or-at is revoked, after is valid", async () => {
  // The clock stands still, so issue, revoke and issue again share one instant.
  const ctx: AcsContext = {
    state: EmulatorState.open(undefined),
    signer: new TokenSigner(newSigningKey()),
    resourceId: "11111111-2222-3333-4444-555555555555",
    verifyTeamsToken: async () => null,
    stats: { identitiesCreated: 0, tokensIssued: 0 },
  };
  const call = (method: string, segments: string[], body?: unknown) =>
    handleAcsRequest(ctx, { method, segments, apiVersion: "2023-10-01", body });
  const clock = jest.spyOn(Date, "now").mockReturnValue(Date.parse("2026-11-24T00:00:00.123Z"));
  try {
    const created = await call("POST", ["identities"], { createTokenWithScopes: ["chat"] });
    const id = (created.body as any).identity.id as string;
    const before = (created.body as any).accessToken.token as string;
    await call("POST", ["identities", id, ":revokeAccessTokens"]);
    const after = (
      (await call("POST", ["identities", id, ":issueAccessToken"], { scopes: ["chat"] })).body as any
    ).token as string;
    expect(decodeClaims(after).iat).toBe(decodeClaims(before).iat); // the same second
    expect(await validateToken(ctx, before, Date.now())).toMatchObject({ valid: false, reason: "revoked" });
    expect(await validateToken(ctx, after, Date.now())).toMatchObject({ valid: true });
    // A second revoke in the same instant still catches the token minted after the first.
    await call("POST", ["identities", id, ":revokeAccessTokens"]);
    expect(await validateToken(ctx, after, Date.now())).toMatchObject({ valid: false, reason: "revoked" });
    // Expiry: a fresh token a day and a second later.
    const fresh = (
      (await call("POST", ["identities", id, ":issueAccessToken"], { scopes: ["voip"] })).body as any
    ).token as string;
    expect(await validateToken(ctx, fresh, Date.now() + 1440 * 60_000 - 1000)).toMatchObject({ valid: true });
    expect(await validateToken(ctx, fresh, Date.now() + 1440 * 60_000 + 1000)).toMatchObject({
      valid: false,
      reason: "expired",
    });
  } finally {
    clock.mockRestore();
  }
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

test("the validity endpoint tells forged and malformed tokens apart", async () => {
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

  test("the SDK with the preview api-version and a customId: same customId, same identity", async () => {
    // SDK 1.3.1 has no customId parameter; a per-call policy adds it to the body before signing,
    // as the newer SDK would send it.
    const withCustomId = (customId: string) => {
      const addCustomId: PipelinePolicy = {
        name: "addCustomId",
        sendRequest: (request, next) => {
          const body = request.body ? JSON.parse(String(request.body)) : {};
          request.body = JSON.stringify({ ...body, customId });
          return next(request);
        },
      };
      return new CommunicationIdentityClient(emulator.connectionString, {
        allowInsecureConnection: true,
        apiVersion: "2025-03-02-preview",
        additionalPolicies: [{ position: "perCall", policy: addCustomId }],
      } as never);
    };
    const first = await withCustomId("dave@contoso.com").createUser();
    const again = await withCustomId("dave@contoso.com").createUserAndToken(["chat"]);
    const other = await withCustomId("erin@contoso.com").createUser();
    expect(again.user.communicationUserId).toBe(first.communicationUserId);
    expect(other.communicationUserId).not.toBe(first.communicationUserId);
    const detail = await get(first.communicationUserId);
    expect(detail.json).toEqual({
      id: first.communicationUserId,
      customId: "dave@contoso.com",
      lastTokenIssuedAt: expect.stringMatching(/\+00:00$/),
    });
    // Once deleted, the customId is free: the next create makes a new identity.
    await preview().deleteUser(first);
    expect((await get(first.communicationUserId)).status).toBe(404);
    const fresh = await withCustomId("dave@contoso.com").createUser();
    expect(fresh.communicationUserId).not.toBe(first.communicationUserId);
  });

  test("GET of another resource's identity is 401 IdentityNotOwned", async () => {
    const response = await get(
      "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000",
    );
    expect(response.status).toBe(401);
    expect(response.json!.error.code).toBe("IdentityNotOwned");
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

test("the emulator's own endpoints: open reads, keyed changes, clear errors", async () => {
  const at = (path: string, init: RequestInit = {}) => fetch(new URL(path, emulator.endpoint), init);
  const jwks = await (await at("_emulator/jwks")).json();
  expect(await (await at(".well-known/jwks.json")).json()).toEqual(jwks);
  expect((jwks as any).keys[0]).toMatchObject({
    kty: "RSA",
    alg: "RS256",
    use: "sig",
    kid: expect.any(String),
  });
  expect((jwks as any).keys[0].d).toBeUndefined(); // public half only
  expect((await at("_emulator/nope")).status).toBe(404);
  const key = { "x-emulator-access-key": emulator.accessKey };
  expect((await at("_emulator/reset", { headers: key })).status).toBe(405);
  expect((await at("_emulator/reset", { method: "POST" })).status).toBe(401);
  const badValidate = await at("_emulator/tokens/validate", { method: "POST", body: "{}" });
  expect(badValidate.status).toBe(400);
  expect(await (await at("_emulator/stats")).json()).toMatchObject({ requests: expect.any(Number) });
});
