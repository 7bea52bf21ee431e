// exchangeTeamsUserToken end to end: the real server over HTTP, the real SDK's getTokenForTeamsUser,
// and the emulator's Teams exchange trusting a local Entra ID stand-in (a JWKS server of the test's).
// The Teams token is a secret: the sweep watches for it in every log line, row and response.
import { randomUUID } from "node:crypto";
import { decodeClaims } from "../support/emulator";
import { graphqlClient } from "../support/graphql-client";
import {
  newSigningKey,
  signWith,
  startJwksServer,
  type JwksServer,
  type SigningKey,
} from "../support/jwks-server";
import { recordSecret } from "../support/secret-sweep";
import { startTestService, type TestService } from "../support/service";
import * as op from "../support/operations";

const EXCHANGE = `mutation($teamsToken: String!, $clientId: ID!, $userObjectId: ID!) {
  exchangeTeamsUserToken(teamsToken: $teamsToken, clientId: $clientId, userObjectId: $userObjectId) {
    token expiresOn
  }
}`;
const APP_ID = randomUUID();

let entra: JwksServer;
let teamsKey: SigningKey;
let service: TestService;
beforeAll(async () => {
  teamsKey = await newSigningKey("teams-key");
  entra = await startJwksServer([teamsKey]);
  service = await startTestService({
    EMULATOR_TEAMS_ISSUER: entra.url,
    EMULATOR_TEAMS_JWKS_URL: entra.jwksUrl,
  });
});
afterAll(async () => {
  await service?.stop();
  await entra?.stop();
});

/** A Teams user's Entra ID token, as Entra would issue it to APP_ID for `oid`. */
async function teamsToken(oid: string, options: { expiresIn?: number; key?: SigningKey; iss?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const token = await signWith(options.key ?? teamsKey, {
    iss: options.iss ?? entra.url,
    oid,
    appid: APP_ID,
    iat: now,
    exp: now + (options.expiresIn ?? 3600),
  });
  recordSecret("teams user token", token);
  return token;
}

/** A signed-in caller whose bearer token names Entra object id `oid`. */
async function callerWithOid(subject: string, oid: string | undefined, roles = ["user"]) {
  const token = await service.devIssuer!.sign({ sub: subject, roles, claims: oid ? { oid } : {} });
  recordSecret("bearer token", token);
  return graphqlClient(service.graphqlUrl, token);
}

test("a user exchanges their own Teams token for an ACS token acting as that Teams user", async () => {
  const oid = randomUUID();
  const client = await callerWithOid("teams-alice", oid);
  const result = await client.request(EXCHANGE, {
    teamsToken: await teamsToken(oid),
    clientId: APP_ID,
    userObjectId: oid,
  });
  expect(result.errors).toEqual([]);
  const { token, expiresOn } = result.data!.exchangeTeamsUserToken;
  expect(decodeClaims(token)).toMatchObject({ skypeid: `orgid:${oid}` });
  // It lives as long as the Teams token (1 h here), not the 24 h an ACS token may.
  expect(Date.parse(expiresOn)).toBeLessThanOrEqual(Date.now() + 3600_000 + 5_000);

  // Audited as an exchange by the caller, with no token anywhere in the event.
  const admin = await service.as("teams-auditor", ["admin"]);
  const events = (await admin.request(op.AUDIT, { first: 10, actor: "teams-alice" })).data!.auditEvents.nodes;
  expect(events).toEqual([
    expect.objectContaining({ action: "token.exchange_teams", outcome: "success", identityId: null }),
  ]);
});

describe("refusals: each changes nothing and names the problem", () => {
  const refused = async (
    caller: { subject: string; oid?: string; roles?: string[] },
    variables: (oid: string) => Promise<Record<string, unknown>>,
  ) => {
    const oid = caller.oid ?? randomUUID();
    const client = await callerWithOid(caller.subject, caller.oid, caller.roles);
    const before = service.emulator!.stats().tokensIssued;
    const result = await client.request(EXCHANGE, await variables(oid));
    expect(result.data).toBeNull();
    expect(service.emulator!.stats().tokensIssued).toBe(before);
    return result.errors[0];
  };

  test.each([
    [
      "a token signed by a key Entra never published",
      async (oid: string) => teamsToken(oid, { key: await newSigningKey("foreign") }),
    ],
    ["an expired token", (oid: string) => teamsToken(oid, { expiresIn: -600 })],
    [
      "a token from another issuer (tenant)",
      (oid: string) => teamsToken(oid, { iss: "https://login.example/other/v2.0" }),
    ],
    ["a token that is not a JWT", async () => "not.a.jwt"],
  ])("%s: BAD_USER_INPUT on teamsToken", async (_name, token) => {
    const oid = randomUUID();
    const error = await refused({ subject: `teams-bad-${randomUUID()}`, oid }, async () => ({
      teamsToken: await token(oid),
      clientId: APP_ID,
      userObjectId: oid,
    }));
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      extensions: expect.objectContaining({ field: "teamsToken" }),
    });
  });

  test("a token issued to another client: BAD_USER_INPUT", async () => {
    const oid = randomUUID();
    const error = await refused({ subject: "teams-client", oid }, async () => ({
      teamsToken: await teamsToken(oid),
      clientId: randomUUID(),
      userObjectId: oid,
    }));
    expect(error.code).toBe("BAD_USER_INPUT");
  });

  test("a token issued for another user than userObjectId (your own): ACS refuses it, BAD_USER_INPUT", async () => {
    const oid = randomUUID();
    const error = await refused({ subject: "teams-user-id", oid }, async () => ({
      teamsToken: await teamsToken(randomUUID()),
      clientId: APP_ID,
      userObjectId: oid,
    }));
    expect(error.code).toBe("BAD_USER_INPUT");
  });

  test("another Teams user's token (yours says a different object id): FORBIDDEN before ACS", async () => {
    const victim = randomUUID();
    const error = await refused({ subject: "teams-mallory", oid: randomUUID() }, async () => ({
      teamsToken: await teamsToken(victim),
      clientId: APP_ID,
      userObjectId: victim,
    }));
    expect(error.code).toBe("FORBIDDEN");
  });

  test("a caller whose bearer token has no object id: FORBIDDEN", async () => {
    const someone = randomUUID();
    const error = await refused({ subject: "teams-no-oid" }, async () => ({
      teamsToken: await teamsToken(someone),
      clientId: APP_ID,
      userObjectId: someone,
    }));
    expect(error.code).toBe("FORBIDDEN");
  });

  test("ids that are not GUIDs: BAD_USER_INPUT naming the field", async () => {
    const oid = randomUUID();
    const error = await refused({ subject: "teams-ids", oid }, async () => ({
      teamsToken: await teamsToken(oid),
      clientId: "not-a-guid",
      userObjectId: oid,
    }));
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      extensions: expect.objectContaining({ field: "clientId" }),
    });
  });

  test("anonymous callers: UNAUTHENTICATED", async () => {
    const oid = randomUUID();
    const before = service.emulator!.stats().tokensIssued;
    const result = await service
      .anonymous()
      .request(EXCHANGE, { teamsToken: await teamsToken(oid), clientId: APP_ID, userObjectId: oid });
    expect(result.errors[0].code).toBe("UNAUTHENTICATED");
    expect(service.emulator!.stats().tokensIssued).toBe(before);
  });
});

test("the Teams token travels only in a POST body: a GET carrying it in the query string runs nothing", async () => {
  const oid = randomUUID();
  const token = await teamsToken(oid);
  const bearer = await service.devIssuer!.sign({ sub: "teams-get", roles: ["user"], claims: { oid } });
  recordSecret("bearer token", bearer);
  const url = new URL(service.graphqlUrl);
  url.searchParams.set("query", EXCHANGE);
  url.searchParams.set(
    "variables",
    JSON.stringify({ teamsToken: token, clientId: APP_ID, userObjectId: oid }),
  );
  const before = service.emulator!.stats().tokensIssued;
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${bearer}`, "apollo-require-preflight": "true" },
  });
  expect(response.status).toBe(405); // GraphQL over GET may not run mutations
  expect(await response.text()).not.toContain(token);
  expect(service.emulator!.stats().tokensIssued).toBe(before);
});
