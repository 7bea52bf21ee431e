// Bearer token verification against the attacks its users worry about, with a real JWKS and OIDC
// discovery served over HTTP.
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createBearerVerifier, loadOrCreateDevIssuer, readRoles, type BearerVerifier } from "../../src/auth";
import { isKeySourceOutage, RETRY_LATER } from "../../src/auth/bearer";
import { main } from "../../src/auth/cli-token";
import { loadConfig } from "../../src/config";
import { AppError } from "../../src/errors";
import {
  newSigningKey,
  signWith,
  startJwksServer,
  type JwksMode,
  type JwksServer,
  type SigningKey,
} from "../support/jwks-server";

let server: http.Server;
let issuer: string;
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let discoveryIssuer = "";
const AUDIENCE = "api://acs-identity-graph";

beforeAll(async () => {
  rsa = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(rsa.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  server = http.createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration") {
      res.end(JSON.stringify({ issuer: discoveryIssuer || issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === "/jwks") res.end(JSON.stringify({ keys: [jwk] }));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const verifier = (env: Record<string, string> = {}) =>
  createBearerVerifier(loadConfig({ AUTH_ISSUER: issuer, AUTH_AUDIENCE: AUDIENCE, ...env }).auth);

async function token(
  claims: JWTPayload = {},
  options: { alg?: string; kid?: string; key?: Parameters<SignJWT["sign"]>[0]; omit?: string[] } = {},
) {
  const body: JWTPayload = {
    sub: "alice",
    roles: ["user"],
    iss: issuer,
    aud: AUDIENCE,
    exp: Math.floor(Date.now() / 1000) + 300,
    ...claims,
  };
  for (const name of options.omit ?? []) delete body[name];
  return new SignJWT(body)
    .setProtectedHeader({ alg: options.alg ?? "RS256", kid: options.kid ?? "k1" })
    .sign(options.key ?? rsa.privateKey);
}

async function refusal(v: BearerVerifier, header: string) {
  try {
    await v.authenticate(header);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("UNAUTHENTICATED");
    expect((error as AppError).message).not.toContain(header.slice(7, 40));
    return (error as AppError).message;
  }
  throw new Error("the token was accepted");
}

test("a valid token from the discovered issuer yields the subject and roles", async () => {
  expect(await verifier().authenticate(`Bearer ${await token()}`)).toEqual({
    subject: "alice",
    roles: ["user"],
    objectId: null,
  });
});

test("the caller's Entra object id comes from AUTH_OBJECT_ID_CLAIM (oid by default), only as a string", async () => {
  const oid = "0b6b6d5e-3c6a-4a39-9f1e-2f1d7b0d2a11";
  expect((await verifier().authenticate(`Bearer ${await token({ oid })}`)).objectId).toBe(oid);
  const custom = verifier({ AUTH_OBJECT_ID_CLAIM: "object_id" });
  expect(
    (await custom.authenticate(`Bearer ${await token({ object_id: oid, oid: "other" })}`)).objectId,
  ).toBe(oid);
  expect((await verifier().authenticate(`Bearer ${await token({ oid: 42 })}`)).objectId).toBeNull();
});

test("no header is the anonymous caller", async () => {
  expect(await verifier().authenticate(undefined)).toEqual({ subject: null, roles: [], objectId: null });
});

describe("refused tokens", () => {
  const unsigned = () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    return `${encode({ alg: "none" })}.${encode({ sub: "alice", iss: issuer, aud: AUDIENCE, exp: 9999999999 })}.`;
  };
  test.each<[string, () => Promise<string>]>([
    ["wrong scheme", async () => `Basic ${await token()}`],
    ["garbage", async () => "Bearer garbage"],
    ["alg none", async () => `Bearer ${unsigned()}x`],
    [
      "HS256 signed with the public key (algorithm confusion)",
      async () => {
        const publicPem = Buffer.from(JSON.stringify(await exportJWK(rsa.publicKey)));
        return `Bearer ${await token({}, { alg: "HS256", key: new Uint8Array(publicPem) })}`;
      },
    ],
    ["wrong issuer", async () => `Bearer ${await token({ iss: "https://evil.example" })}`],
    ["wrong audience", async () => `Bearer ${await token({ aud: "someone-else" })}`],
    ["expired", async () => `Bearer ${await token({ exp: Math.floor(Date.now() / 1000) - 120 })}`],
    ["not yet valid", async () => `Bearer ${await token({ nbf: Math.floor(Date.now() / 1000) + 600 })}`],
    ["no exp", async () => `Bearer ${await token({}, { omit: ["exp"] })}`],
    ["no sub", async () => `Bearer ${await token({}, { omit: ["sub"] })}`],
    ["empty sub", async () => `Bearer ${await token({ sub: "" })}`],
    ["unknown kid", async () => `Bearer ${await token({}, { kid: "other" })}`],
    [
      "signed by another key",
      async () => `Bearer ${await token({}, { key: (await generateKeyPair("RS256")).privateKey })}`,
    ],
  ])("%s", async (_name, header) => {
    await refusal(verifier(), await header());
  });

  test("an algorithm outside the allowlist", async () => {
    await refusal(verifier({ AUTH_ALGORITHMS: "ES256" }), `Bearer ${await token()}`);
  });

  test("a discovery document naming another issuer", async () => {
    discoveryIssuer = "https://impostor.example";
    try {
      // Fails closed as a refusal the caller may retry; the reason stays in the error's cause.
      const refused = await verifier()
        .authenticate(`Bearer ${await token()}`)
        .catch((error: AppError) => error);
      expect(refused).toBeInstanceOf(AppError);
      expect((refused as AppError).code).toBe("UNAUTHENTICATED");
      expect((refused as AppError).message).toBe(RETRY_LATER);
      expect(String((refused as AppError).cause)).toMatch(/another issuer/);
    } finally {
      discoveryIssuer = "";
    }
  });
});

test("AUTH_JWKS_URL works without discovery", async () => {
  const v = createBearerVerifier(
    loadConfig({ AUTH_JWKS_URL: `${issuer}/jwks`, AUTH_AUDIENCE: AUDIENCE }).auth,
  );
  expect((await v.authenticate(`Bearer ${await token()}`)).subject).toBe("alice");
});

test("AUTH_ISSUER with AUTH_JWKS_URL pins the issuer without discovery", async () => {
  const v = createBearerVerifier(
    loadConfig({
      AUTH_ISSUER: "https://login.example/tenant-a/v2.0",
      AUTH_JWKS_URL: `${issuer}/jwks`,
      AUTH_AUDIENCE: AUDIENCE,
    }).auth,
  );
  const ours = await token({ iss: "https://login.example/tenant-a/v2.0" });
  expect((await v.authenticate(`Bearer ${ours}`)).subject).toBe("alice");
  // Same keys, another tenant's issuer: refused (a shared JWKS must not admit every tenant).
  const foreign = await token({ iss: "https://login.example/tenant-b/v2.0" });
  await expect(v.authenticate(`Bearer ${foreign}`)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
});

test.each([
  ["roles", { roles: ["a", "b"] }, ["a", "b"]],
  // A string is split on ASCII spaces only, as OAuth's `scope` is: commas and other spaces are kept.
  ["roles", { roles: "a  b,c" }, ["a", "b,c"]],
  ["roles", { roles: "guest\u3000admin" }, ["guest\u3000admin"]],
  ["roles", { roles: "guest\tadmin" }, ["guest\tadmin"]],
  ["realm_access.roles", { realm_access: { roles: ["admin"] } }, ["admin"]],
  ["https://example.com/roles", { "https://example.com/roles": ["guest"] }, ["guest"]],
  ["roles", {}, []],
  ["roles", { roles: [1, "ok", null] }, ["ok"]],
])("roles from claim %s in %j", (claim, payload, roles) => {
  expect(readRoles(payload as JWTPayload, claim)).toEqual(roles);
});

describe("the development issuer", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dev-issuer-"));

  test("keeps its key across loads, and its tokens verify", async () => {
    const first = await loadOrCreateDevIssuer(dir);
    const second = await loadOrCreateDevIssuer(dir);
    expect(second.publicJwks).toEqual(first.publicJwks);
    const v = createBearerVerifier(loadConfig({ DATA_DIR: dir }).auth, second);
    expect(await v.authenticate(`Bearer ${await first.sign({ sub: "dev", roles: ["admin"] })}`)).toEqual({
      subject: "dev",
      roles: ["admin"],
      objectId: null,
    });
  });

  test("its tokens are refused when development tokens are off", async () => {
    const devIssuer = await loadOrCreateDevIssuer(dir);
    const v = createBearerVerifier(
      loadConfig({ AUTH_ISSUER: issuer, AUTH_AUDIENCE: AUDIENCE }).auth,
      devIssuer,
    );
    await refusal(v, `Bearer ${await devIssuer.sign({ sub: "dev", roles: ["admin"] })}`);
  });

  test("the token CLI prints a working token, and refuses in production", async () => {
    const lines: string[] = [];
    expect(
      await main(["--sub", "alice", "--roles", "user,guest"], { DATA_DIR: dir }, (l) => lines.push(l)),
    ).toBe(0);
    const v = createBearerVerifier(loadConfig({ DATA_DIR: dir }).auth, await loadOrCreateDevIssuer(dir));
    expect(await v.authenticate(`Bearer ${lines[0]}`)).toEqual({
      subject: "alice",
      roles: ["user", "guest"],
      objectId: null,
    });
    const refused: string[] = [];
    const env = {
      DATA_DIR: dir,
      NODE_ENV: "production",
      AUTH_ISSUER: issuer,
      AUTH_AUDIENCE: AUDIENCE,
      ACS_ENDPOINT: "https://acs.example.communication.azure.com",
    };
    expect(await main(["--sub", "alice"], env, (l) => refused.push(l))).toBe(2);
    expect(refused[0]).toMatch(/production/);
  });
});

describe("the issuer's key endpoint (AUTH_JWKS_URL)", () => {
  let keys: JwksServer;
  let attacker: JwksServer;
  let key: SigningKey;
  beforeAll(async () => {
    key = await newSigningKey("r1");
    [keys, attacker] = await Promise.all([startJwksServer([key]), startJwksServer([])]);
  });
  afterAll(() => Promise.all([keys.stop(), attacker.stop()]));
  afterEach(() => {
    keys.mode = "up";
  });

  const jwksVerifier = () =>
    createBearerVerifier(
      loadConfig({
        AUTH_JWKS_URL: keys.jwksUrl,
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_JWKS_TIMEOUT_MS: "300",
        AUTH_JWKS_COOLDOWN_SECONDS: "30",
      }).auth,
    );
  const signed = () =>
    signWith(key, { sub: "alice", iss: "any", aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 60 });

  test("concurrent first requests share one fetch", async () => {
    const v = jwksVerifier();
    const before = keys.jwksFetches;
    const tokens = await Promise.all(Array.from({ length: 20 }, signed));
    const principals = await Promise.all(tokens.map((t) => v.authenticate(`Bearer ${t}`)));
    expect(principals.every((p) => p.subject === "alice")).toBe(true);
    expect(keys.jwksFetches - before).toBe(1);
  });

  test.each<[string, JwksMode]>([
    ["HTTP 500", "error"],
    ["a redirect (to an attacker's server; not followed)", "redirect"],
    ["a body over the size limit", "huge"],
    ["JSON that is not a key set", "not-jwks"],
  ])(
    "an endpoint answering %s fails closed, and is not asked again within the cooldown",
    async (_n, mode) => {
      keys.mode = mode;
      keys.redirectTo = attacker.jwksUrl;
      const v = jwksVerifier();
      const before = keys.jwksFetches;
      const token = await signed();
      for (let i = 0; i < 3; i += 1) {
        const refused = await v.authenticate(`Bearer ${token}`).catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(AppError);
        expect((refused as AppError).message).toBe(RETRY_LATER);
        expect(isKeySourceOutage(refused)).toBe(true);
      }
      expect(keys.jwksFetches - before).toBe(1);
      expect(attacker.requests).toBe(0);
    },
  );

  test("a token over the size limit is refused before anything is fetched", async () => {
    const v = jwksVerifier();
    const before = keys.jwksFetches;
    expect(await refusal(v, `Bearer ${"A".repeat(9000)}`)).toMatch(/longer than 8192 bytes/);
    expect(keys.jwksFetches).toBe(before);
  });

  test("key-bearing headers are refused before anything is fetched", async () => {
    const v = jwksVerifier();
    const before = keys.jwksFetches;
    const claims = { sub: "alice", iss: "any", aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 60 };
    for (const header of [
      { jku: attacker.jwksUrl },
      { x5u: attacker.url },
      { jwk: key.publicJwk },
      { x5c: ["AA"] },
    ])
      expect(await refusal(v, `Bearer ${await signWith(key, claims, header)}`)).toMatch(/own key/);
    expect(keys.jwksFetches).toBe(before);
    expect(attacker.requests).toBe(0);
  });

  test("settings that name no asymmetric algorithm are refused at start", () => {
    const auth = loadConfig({ AUTH_JWKS_URL: keys.jwksUrl, AUTH_AUDIENCE: AUDIENCE }).auth;
    expect(() => createBearerVerifier({ ...auth, algorithms: ["HS256", "none"] })).toThrow(/asymmetric/);
  });
});
