// Authentication attacks, end to end over HTTP: each attack token is sent with the mint mutation and
// must get HTTP 401 UNAUTHENTICATED with no ACS call and no database write. The issuer is a real local
// JWKS server; positive controls mint, so no refusal can pass because nothing works at all.
//
// Requests go through fetch rather than the Apollo test client: the attacks need the raw Authorization
// header (schemes, whitespace, two tokens) and the HTTP status.
import { sql } from "kysely";
import { createHmac, createSign, KeyObject } from "node:crypto";
import { RETRY_LATER } from "../../src/auth/bearer";
import { createLogger, type Logger } from "../../src/server/logger";
import { newSigningKey, startJwksServer, type JwksServer, type SigningKey } from "../support/jwks-server";
import { ISSUE_MY } from "../support/operations";
import { startTestService, type TestService } from "../support/service";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

const AUDIENCE = "api://acs-identity-graph-test";
const TOLERANCE_S = 30;
const COOLDOWN_MS = 2000;
const TIMEOUT_MS = 800;
const MAX_TOKEN_BYTES = 8192;
const settings = {
  AUTH_AUDIENCE: AUDIENCE,
  AUTH_ALLOW_DEV_TOKENS: "false",
  AUTH_CLOCK_TOLERANCE_SECONDS: String(TOLERANCE_S),
  AUTH_JWKS_TIMEOUT_MS: String(TIMEOUT_MS),
  AUTH_JWKS_COOLDOWN_SECONDS: String(COOLDOWN_MS / 1000),
  AUTH_MAX_TOKEN_BYTES: String(MAX_TOKEN_BYTES),
  // Positive controls all come from 127.0.0.1; the rate limiter is not what this suite tests.
  RATE_LIMIT_MINT_PER_MINUTE_PER_ADDRESS: "1000",
};

let issuerKey: SigningKey; // the key the legitimate issuer signs with now (rotation replaces it)
let jwks: JwksServer; // service's issuer, pinned (AUTH_ISSUER), with its keys at AUTH_JWKS_URL
let attacker: JwksServer; // a key server the attacker controls; it must never be asked anything
let attackerKey: SigningKey;
let service: TestService;

/**
 * A trace logger that keeps, of everything the service logs, why each key-endpoint outage refused a
 * token: the service's own reason for giving up (e.g. its timeout firing), newest last.
 */
function outageLog(): { logger: Logger; causes: string[] } {
  const causes: string[] = [];
  const logger = createLogger("trace", {
    write(line: string) {
      if (!line.includes('"issuer keys unavailable"')) return;
      const entry = JSON.parse(line) as { err?: { message?: string } };
      causes.push(String(entry.err?.message));
    },
  });
  return { logger, causes };
}
const outages = outageLog();

beforeAll(async () => {
  [issuerKey, attackerKey] = await Promise.all([newSigningKey("k1"), newSigningKey("attacker-1")]);
  [jwks, attacker] = await Promise.all([startJwksServer([issuerKey]), startJwksServer([attackerKey])]);
  service = await startTestService(
    { ...settings, AUTH_ISSUER: jwks.url, AUTH_JWKS_URL: jwks.jwksUrl },
    { logger: outages.logger },
  );
}, SERVICE_START_TIMEOUT_MS);
afterAll(async () => {
  await service?.stop();
  await Promise.all([jwks?.stop(), attacker?.stop()]);
});
afterEach(() => {
  expect(attacker.requests).toBe(0);
});

// ---------------------------------------------------------------------------------------------------
// Token building: jose cannot be made to sign most attacks, so compact JWS is assembled by hand.

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
let subjects = 0;

function claims(overrides: Record<string, unknown> = {}, omit: string[] = []) {
  const body: Record<string, unknown> = {
    iss: jwks.url,
    aud: AUDIENCE,
    sub: `user-${++subjects}`,
    roles: ["user"],
    iat: now(),
    exp: now() + 300,
    ...overrides,
  };
  for (const name of omit) delete body[name];
  return body;
}

type Signer = (signingInput: string) => string;
const rsa =
  (key: SigningKey, hash = "SHA256"): Signer =>
  (input) =>
    createSign(`RSA-${hash}`).update(input).sign(KeyObject.from(key.privateKey)).toString("base64url");
const hmac =
  (bits: number, secret: string | Buffer): Signer =>
  (input) =>
    createHmac(`sha${bits}`, secret).update(input).digest("base64url");

function compact(header: Record<string, unknown>, payload: unknown, sign: Signer | string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${typeof sign === "string" ? sign : sign(input)}`;
}

/** A token the legitimate issuer would sign: the baseline every attack is a variation of. */
const valid = (overrides: Record<string, unknown> = {}, omit: string[] = [], key = issuerKey) =>
  compact({ alg: "RS256", kid: key.kid, typ: "JWT" }, claims(overrides, omit), rsa(key));
/** Signed by the attacker's key, with whatever header the attack needs. */
const forged = (header: Record<string, unknown>, overrides: Record<string, unknown> = {}) =>
  compact({ alg: "RS256", kid: attackerKey.kid, ...header }, claims(overrides), rsa(attackerKey));

// ---------------------------------------------------------------------------------------------------
// Sending and asserting.

interface Outcome {
  status: number;
  text: string;
  body: { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: any }> };
  retryAfter: string | null;
}

async function mint(target: TestService, authorization: string | undefined): Promise<Outcome> {
  const headers = new Headers({ "content-type": "application/json" });
  if (authorization !== undefined) headers.set("authorization", authorization);
  const response = await fetch(target.graphqlUrl, {
    method: "POST",
    headers,
    body: JSON.stringify({ query: ISSUE_MY, variables: { scopes: ["CHAT"] } }),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    body: JSON.parse(text),
    retryAfter: response.headers.get("retry-after"),
  };
}

/** Everything an accepted mint would change: ACS calls and rows written. */
async function footprint(target: TestService) {
  const count = async (table: string) =>
    Number(
      (await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(target.store.db))
        .rows[0].n,
    );
  return {
    acs: target.emulator!.stats(),
    identities: await count("identities"),
    auditEvents: await count("audit_events"),
  };
}

/** HTTP 401, UNAUTHENTICATED, nothing called or written, and no part of the token echoed. */
async function expectRefused(authorization: string, target = service): Promise<Outcome> {
  const before = await footprint(target);
  const outcome = await mint(target, authorization);
  expect(outcome.status).toBe(401);
  expect(outcome.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  expect(outcome.body.data ?? null).toBeNull();
  if (outcome.body.errors?.[0]?.message !== RETRY_LATER) expect(outcome.retryAfter).toBeNull();
  for (const part of authorization.split(/[\s.,]+/).filter((piece) => piece.length >= 8))
    expect(outcome.text).not.toContain(part);
  expect(await footprint(target)).toEqual(before);
  return outcome;
}

/** The positive control: the mint goes through, with exactly one ACS token issued. */
async function expectMinted(authorization: string, target = service): Promise<Outcome> {
  const before = await footprint(target);
  const outcome = await mint(target, authorization);
  expect(outcome.body.errors).toBeUndefined();
  expect(outcome.status).toBe(200);
  expect(typeof outcome.body.data?.issueMyAccessToken?.token).toBe("string");
  const after = await footprint(target);
  expect(after.acs.tokensIssued).toBe(before.acs.tokensIssued + 1);
  expect(after.auditEvents).toBeGreaterThan(before.auditEvents);
  return outcome;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The service refetches only once the cooldown since its last JWKS fetch has passed. */
let lastFetchSeen = { count: 0, at: 0 };
async function waitForCooldown(server: JwksServer = jwks) {
  if (server.jwksFetches !== lastFetchSeen.count)
    lastFetchSeen = { count: server.jwksFetches, at: Date.now() };
  await sleep(Math.max(0, lastFetchSeen.at + COOLDOWN_MS + 150 - Date.now()));
}

// ---------------------------------------------------------------------------------------------------

describe("positive controls", () => {
  test("a valid token mints, and one ACS token is issued", async () => {
    await expectMinted(`Bearer ${valid()}`);
  });
  test("the scheme is case-insensitive (RFC 7235): `bearer` and `BEARER` mint", async () => {
    await expectMinted(`bearer ${valid()}`);
    await expectMinted(`BEARER ${valid()}`);
  });
  test("no Authorization header is anonymous, and anonymous may not mint", async () => {
    const before = await footprint(service);
    const outcome = await mint(service, undefined);
    expect(outcome.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await footprint(service)).toEqual(before);
  });
});

describe("alg: none", () => {
  const spellings = ["none", "None", "NONE", "nOnE"];
  test.each(
    spellings.flatMap((alg) => [[alg, "an empty signature"] as const, [alg, "a fake signature"] as const]),
  )("alg %s with %s is refused", async (alg, signature) => {
    const fake = signature === "an empty signature" ? "" : b64("not-a-signature-at-all");
    await expectRefused(`Bearer ${compact({ alg, kid: issuerKey.kid, typ: "JWT" }, claims(), fake)}`);
  });
});

describe("algorithm confusion and pinning", () => {
  test.each<[string, () => string]>([
    ["HS256 keyed with the issuer's public key as PEM", () => issuerKey.publicPem],
    ["HS256 keyed with the issuer's public key as JWK JSON", () => JSON.stringify(issuerKey.publicJwk)],
    ["HS512 keyed with the issuer's public key as PEM", () => issuerKey.publicPem],
  ])("%s is refused", async (name, secret) => {
    const bits = name.startsWith("HS512") ? 512 : 256;
    const header = { alg: `HS${bits}`, kid: issuerKey.kid, typ: "JWT" };
    await expectRefused(`Bearer ${compact(header, claims(), hmac(bits, secret()))}`);
  });

  test("RS512 signed with the issuer's own key is refused: only RS256 is configured", async () => {
    const token = compact({ alg: "RS512", kid: issuerKey.kid }, claims(), rsa(issuerKey, "SHA512"));
    await expectRefused(`Bearer ${token}`);
  });
});

describe("kid", () => {
  test.each<[string, () => string]>([
    ["an unknown kid", () => forged({ kid: "k-unknown" })],
    ["a known kid with the attacker's signature", () => forged({ kid: issuerKey.kid })],
    ["kid with path traversal", () => forged({ kid: "../../../../../../etc/passwd" })],
    ["kid with Windows path traversal", () => forged({ kid: "..\\..\\..\\windows\\win.ini" })],
    [
      "kid naming /dev/null with HS256 and an empty secret",
      () => compact({ alg: "HS256", kid: "../../../../dev/null" }, claims(), hmac(256, "")),
    ],
    ["kid with SQL injection (tautology)", () => forged({ kid: "' OR '1'='1" })],
    ["kid with SQL injection (stacked query)", () => forged({ kid: "k1'; DROP TABLE identities; --" })],
    ["kid with a NUL byte after a known kid", () => forged({ kid: `${issuerKey.kid}\u0000` })],
    ["kid that is not a string", () => forged({ kid: 1 })],
  ])("%s is refused", async (_name, token) => {
    await expectRefused(`Bearer ${token()}`);
  });
});

describe("a flood of unknown kids", () => {
  // The same issuer, its keys served by a server of its own so that its fetches are counted apart, and
  // a cooldown far longer than any flood can take: the flood arrives when no key has been fetched yet,
  // so exactly one fetch is due, however many tokens and however slowly a busy machine sends them.
  let floodKey: SigningKey;
  let floodJwks: JwksServer;
  let flooded: TestService;
  beforeAll(async () => {
    floodKey = issuerKey;
    floodJwks = await startJwksServer([floodKey]);
    flooded = await startTestService({
      ...settings,
      AUTH_ISSUER: jwks.url,
      AUTH_JWKS_URL: floodJwks.jwksUrl,
      AUTH_JWKS_COOLDOWN_SECONDS: "3600",
    });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await flooded?.stop();
    await floodJwks?.stop();
  });

  test("makes one JWKS fetch per cooldown: concurrent tokens share it, later ones do not repeat it", async () => {
    expect(floodJwks.jwksFetches).toBe(0);
    // Concurrent, then one after another: neither may multiply the fetches.
    const burst = Array.from({ length: 40 }, (_, i) => forged({ kid: `flood-${i}` }));
    await Promise.all(burst.map((token) => expectRefused(`Bearer ${token}`, flooded)));
    for (let i = 0; i < 20; i += 1)
      await expectRefused(`Bearer ${forged({ kid: `flood-seq-${i}` })}`, flooded);
    expect(floodJwks.jwksFetches).toBe(1);
    // A known key still works after the flood, from the keys that one fetch brought.
    await expectMinted(`Bearer ${valid({}, [], floodKey)}`, flooded);
    expect(floodJwks.jwksFetches).toBe(1);
  });
});

describe("key-bearing headers (never fetched, never used)", () => {
  test.each<[string, () => string]>([
    ["jku pointing at the attacker's JWKS", () => forged({ jku: attacker.jwksUrl })],
    [
      "jku pointing at the attacker's JWKS, with the issuer's kid",
      () => forged({ jku: attacker.jwksUrl, kid: issuerKey.kid }),
    ],
    [
      "jku on a token the issuer really signed",
      () => compact({ alg: "RS256", kid: issuerKey.kid, jku: attacker.jwksUrl }, claims(), rsa(issuerKey)),
    ],
    ["x5u pointing at the attacker's server", () => forged({ x5u: `${attacker.url}/cert.pem` })],
    ["an embedded jwk (the attacker's key)", () => forged({ jwk: attackerKey.publicJwk, kid: undefined })],
    [
      "an embedded jwk with the issuer's kid",
      () => forged({ jwk: { ...attackerKey.publicJwk, kid: issuerKey.kid }, kid: issuerKey.kid }),
    ],
    [
      // The refusal is on the header's presence; the chain's content is never parsed.
      "x5c carrying the attacker's key",
      () => forged({ x5c: [attackerKey.publicPem.replace(/-----[^-]+-----|\s/g, "")] }),
    ],
  ])("%s is refused", async (_name, token) => {
    await expectRefused(`Bearer ${token()}`);
    expect(attacker.requests).toBe(0);
  });
});

describe("time claims at the clock tolerance boundaries", () => {
  test(`expired: exp exactly at the boundary (now - ${TOLERANCE_S} s) is refused`, async () => {
    await expectRefused(`Bearer ${valid({ exp: now() - TOLERANCE_S })}`);
  });
  test("expired: exp 5 s inside the tolerance is accepted", async () => {
    await expectMinted(`Bearer ${valid({ exp: now() - TOLERANCE_S + 5 })}`);
  });
  test(`not yet valid: nbf exactly at the boundary (now + ${TOLERANCE_S} s) is accepted`, async () => {
    await expectMinted(`Bearer ${valid({ nbf: now() + TOLERANCE_S })}`);
  });
  test("not yet valid: nbf 5 s beyond the tolerance is refused", async () => {
    await expectRefused(`Bearer ${valid({ nbf: now() + TOLERANCE_S + 5 })}`);
  });
  test("long expired is refused", async () => {
    await expectRefused(`Bearer ${valid({ iat: now() - 7200, exp: now() - 3600 })}`);
  });
  test("missing exp is refused", async () => {
    await expectRefused(`Bearer ${valid({}, ["exp"])}`);
  });
});

describe("required claims, issuer and audience", () => {
  test.each<[string, () => string]>([
    ["missing sub", () => valid({}, ["sub"])],
    ["empty sub", () => valid({ sub: "" })],
    ["missing iss", () => valid({}, ["iss"])],
    ["a foreign iss on a token signed with the trusted key", () => valid({ iss: "https://evil.example" })],
    ["missing aud", () => valid({}, ["aud"])],
    ["wrong audience", () => valid({ aud: "api://someone-else" })],
    ["audience array with none matching", () => valid({ aud: ["api://someone-else", "api://another"] })],
    ["audience differing only in case", () => valid({ aud: AUDIENCE.toUpperCase() })],
  ])("%s is refused", async (_name, token) => {
    await expectRefused(`Bearer ${token()}`);
  });

  test("audience array with one matching is accepted", async () => {
    await expectMinted(`Bearer ${valid({ aud: ["api://someone-else", AUDIENCE] })}`);
  });
});

describe("crit header", () => {
  test.each<[string, Record<string, unknown>]>([
    ["an unknown extension", { crit: ["urn:example:must-understand"], "urn:example:must-understand": true }],
    ["b64 (unencoded payload)", { crit: ["b64"], b64: false }],
    ["a registered claim name", { crit: ["exp"], exp: 1 }],
    ["an empty list", { crit: [] }],
  ])("crit with %s is refused", async (_name, extra) => {
    const token = compact({ alg: "RS256", kid: issuerKey.kid, ...extra }, claims(), rsa(issuerKey));
    await expectRefused(`Bearer ${token}`);
  });
});

describe("tampering", () => {
  const parts = (token: string) => token.split(".") as [string, string, string];
  test.each<[string, () => string]>([
    [
      "a flipped signature character",
      () => {
        const [h, p, s] = parts(valid());
        const i = Math.floor(s.length / 2);
        return `${h}.${p}.${s.slice(0, i)}${s[i] === "A" ? "B" : "A"}${s.slice(i + 1)}`;
      },
    ],
    [
      "a truncated signature",
      () => {
        const [h, p, s] = parts(valid());
        return `${h}.${p}.${s.slice(0, -8)}`;
      },
    ],
    [
      "another token's signature",
      () => {
        const [h, p] = parts(valid());
        return `${h}.${p}.${parts(valid())[2]}`;
      },
    ],
    [
      "a changed sub",
      () => {
        const [h, p, s] = parts(valid());
        const body = JSON.parse(Buffer.from(p, "base64url").toString());
        return `${h}.${b64({ ...body, sub: "victim" })}.${s}`;
      },
    ],
    [
      "elevated roles",
      () => {
        const [h, p, s] = parts(valid());
        const body = JSON.parse(Buffer.from(p, "base64url").toString());
        return `${h}.${b64({ ...body, roles: ["admin"] })}.${s}`;
      },
    ],
    [
      "an extended exp",
      () => {
        const [h, p, s] = parts(valid({ exp: now() - 3600 }));
        const body = JSON.parse(Buffer.from(p, "base64url").toString());
        return `${h}.${b64({ ...body, exp: now() + 3600 })}.${s}`;
      },
    ],
    [
      "a changed header (alg RS384)",
      () => {
        const [, p, s] = parts(valid());
        return `${b64({ alg: "RS384", kid: issuerKey.kid, typ: "JWT" })}.${p}.${s}`;
      },
    ],
  ])("%s is refused", async (_name, token) => {
    await expectRefused(`Bearer ${token()}`);
  });
});

describe("malformed tokens and headers", () => {
  const sig = b64("signature-bytes-here");
  test.each<[string, () => string]>([
    ["an empty Authorization header", () => ""],
    ["the scheme alone", () => "Bearer"],
    ["another scheme (Basic)", () => `Basic ${b64("alice:secret")}`],
    ["another scheme (JWT)", () => `JWT ${valid()}`],
    ["no scheme, a bare JWT", () => valid()],
    ["a colon after the scheme", () => `Bearer:${valid()}`],
    ["one part", () => `Bearer ${b64({ alg: "RS256" })}`],
    ["two parts", () => `Bearer ${valid().split(".").slice(0, 2).join(".")}`],
    ["four parts", () => `Bearer ${valid()}.${sig}`],
    ["five parts (a JWE)", () => `Bearer ${b64({ alg: "RSA-OAEP", enc: "A256GCM" })}.a.b.c.d`],
    [
      "the JWS JSON serialization",
      () => `Bearer ${JSON.stringify({ protected: "x", payload: "y", signature: "z" })}`,
    ],
    ["characters outside base64url", () => `Bearer ${b64({ alg: "RS256" })}.e30+/=.${sig}`],
    ["a header part that is not base64url-decodable", () => `Bearer A.${b64(claims())}.${sig}`],
    ["a header that is not JSON", () => `Bearer ${b64("not json at all")}.${b64(claims())}.${sig}`],
    ["a header that is a JSON array", () => `Bearer ${b64("[]")}.${b64(claims())}.${sig}`],
    ["a header that is a JSON string", () => `Bearer ${b64('"RS256"')}.${b64(claims())}.${sig}`],
    ["a payload that is not JSON", () => `Bearer ${b64({ alg: "RS256", kid: "k1" })}.${b64("alice")}.${sig}`],
    ["an empty header part", () => `Bearer .${b64(claims())}.${sig}`],
    ["an empty payload part", () => `Bearer ${b64({ alg: "RS256", kid: "k1" })}..${sig}`],
    ["an empty signature part", () => `Bearer ${valid().split(".").slice(0, 2).join(".")}.`],
    ["all parts empty", () => "Bearer .."],
    ["a tab instead of the space", () => `Bearer\t${valid()}`],
    ["two spaces after the scheme", () => `Bearer  ${valid()}`],
    ["a space inside the token", () => `Bearer ${valid().replace(".", ". ")}`],
    ["a non-breaking space after the scheme", () => `Bearer\u00a0${valid()}`],
    ["two tokens, space-separated", () => `Bearer ${valid()} ${valid()}`],
    ["two tokens, comma-separated", () => `Bearer ${valid()}, Bearer ${valid()}`],
  ])("%s is refused", async (_name, authorization) => {
    await expectRefused(authorization());
  });
});

describe("oversized tokens", () => {
  /** A valid token padded (through a claim and a header member) to exactly `bytes` characters. */
  function validOfLength(bytes: number): string {
    const body = claims();
    const signatureLength = 342; // RS256 with a 2048-bit key, base64url
    for (let headerPad = 0; headerPad < 4; headerPad += 1) {
      const header = { alg: "RS256", kid: issuerKey.kid, typ: "JWT", pad: "x".repeat(headerPad) };
      const fixed = b64(header).length + 2 + signatureLength;
      const unpadded = JSON.stringify({ ...body, pad: "" }).length;
      const start = Math.floor(((bytes - fixed) * 3) / 4) - unpadded - 4;
      for (let padLength = start; padLength < bytes; padLength += 1) {
        const length = fixed + b64({ ...body, pad: "p".repeat(padLength) }).length;
        if (length === bytes) return compact(header, { ...body, pad: "p".repeat(padLength) }, rsa(issuerKey));
        if (length > bytes) break;
      }
    }
    throw new Error(`no padding gives ${bytes} bytes`);
  }

  test(`a valid token of exactly ${MAX_TOKEN_BYTES} bytes is accepted`, async () => {
    const token = validOfLength(MAX_TOKEN_BYTES);
    expect(token.length).toBe(MAX_TOKEN_BYTES);
    await expectMinted(`Bearer ${token}`);
  });
  test(`a valid token of ${MAX_TOKEN_BYTES + 1} bytes is refused before it is parsed`, async () => {
    const token = validOfLength(MAX_TOKEN_BYTES + 1);
    expect(token.length).toBe(MAX_TOKEN_BYTES + 1);
    const outcome = await expectRefused(`Bearer ${token}`);
    expect(outcome.body.errors![0].message).toMatch(/longer than/);
  });
  test("15 kB of garbage is refused by length, not by parsing", async () => {
    const outcome = await expectRefused(`Bearer ${"A".repeat(15_000)}`);
    expect(outcome.body.errors![0].message).toMatch(/longer than/);
  });
});

describe("key rotation", () => {
  test("a new kid is refused within the cooldown and accepted after the refetch", async () => {
    // Start right after a refetch (an unknown kid once the cooldown has passed), so that k2, published
    // just after it, arrives inside the cooldown.
    const k2 = await newSigningKey("k2");
    await waitForCooldown();
    await expectRefused(`Bearer ${forged({ kid: "trigger-refetch" })}`);
    jwks.keys = [issuerKey, k2];
    const fetches = jwks.jwksFetches;
    await expectRefused(`Bearer ${valid({}, [], k2)}`);
    expect(jwks.jwksFetches).toBe(fetches);
    await waitForCooldown();
    await expectMinted(`Bearer ${valid({}, [], k2)}`);
    expect(jwks.jwksFetches).toBe(fetches + 1);
    issuerKey = k2;
  });

  test("a removed key is refused once the key set has been refetched", async () => {
    const retired = jwks.keys.find((key) => key.kid === "k1")!;
    const k3 = await newSigningKey("k3");
    jwks.keys = [issuerKey, k3];
    await expectMinted(`Bearer ${valid({}, [], retired)}`); // still cached: nothing has told the service yet
    await waitForCooldown();
    await expectMinted(`Bearer ${valid({}, [], k3)}`); // the refetch that drops k1
    await expectRefused(`Bearer ${valid({}, [], retired)}`);
    issuerKey = k3;
  });
});

describe("JWKS endpoint down or slow: fail closed, bounded wait", () => {
  // Each case publishes a key the service has not seen, breaks the endpoint, and shows the token
  // refused; then mends the endpoint and shows the same token mint, so the refusal was the outage's.
  let serial = 0;
  // `cause`: why the service gave up on the endpoint, as it logged it; for a slow or stalled endpoint,
  // its own timeout (so the wait was bounded by AUTH_JWKS_TIMEOUT_MS, and it did wait that long).
  async function outage(
    breakIt: () => Promise<void> | void,
    mend: () => Promise<void> | void,
    cause: string,
  ) {
    // The service holds the issuer's keys already, as it would in production, so the fresh key is an
    // unknown kid (whichever tests ran before).
    await expectMinted(`Bearer ${valid()}`);
    const fresh = await newSigningKey(`outage-${++serial}`);
    jwks.keys = [...jwks.keys, fresh];
    const token = `Bearer ${valid({}, [], fresh)}`;
    await waitForCooldown();
    await breakIt();
    try {
      const logged = outages.causes.length;
      const outcome = await expectRefused(token);
      // The failed attempt opened a cooldown the server may not have seen (when it was down).
      lastFetchSeen = { count: jwks.jwksFetches, at: Date.now() };
      expect(outcome.body.errors![0].message).toBe(RETRY_LATER);
      // An outage says when the keys will be asked for again; a bad token never gets a Retry-After.
      expect(outcome.retryAfter).toBe(String(COOLDOWN_MS / 1000));
      // One attempt, ended by the outage itself or by the service's own timeout, never by a retry loop.
      expect(outages.causes.slice(logged)).toEqual([expect.stringContaining(cause)]);
      // Within the cooldown a second attempt fails at once, without asking the endpoint again: it is
      // refused for the key it cannot know yet, not as an outage (that would be a new attempt).
      const fetches = jwks.jwksFetches;
      const again = await expectRefused(token);
      expect(again.body.errors![0].message).toBe("The bearer token's signing key is not known.");
      expect(outages.causes.length).toBe(logged + 1);
      expect(jwks.jwksFetches).toBe(fetches);
    } finally {
      await mend();
    }
    await waitForCooldown();
    await expectMinted(token);
  }

  test("endpoint down (connection refused)", async () => {
    await outage(
      () => jwks.stop(),
      () => jwks.restart(),
      `${jwks.jwksUrl}: the fetch failed`,
    );
  });
  test("endpoint answering HTTP 500", async () => {
    const fetches = jwks.jwksFetches;
    await outage(
      () => void (jwks.mode = "error"),
      () => void (jwks.mode = "up"),
      `${jwks.jwksUrl} answered HTTP 500`,
    );
    expect(jwks.jwksFetches).toBe(fetches + 2); // the failed attempt and the mended one
  });
  test("endpoint slow (answers after 10x the timeout)", async () => {
    await outage(
      () => {
        jwks.mode = "slow";
        jwks.delayMs = 10 * TIMEOUT_MS;
      },
      () => void (jwks.mode = "up"),
      `${jwks.jwksUrl}: no answer within ${TIMEOUT_MS} ms`,
    );
  });
  test("endpoint stalling halfway through the body", async () => {
    await outage(
      () => void (jwks.mode = "stall"),
      () => void (jwks.mode = "up"),
      `${jwks.jwksUrl}: no answer within ${TIMEOUT_MS} ms`,
    );
  });
});

describe("an OIDC issuer (AUTH_ISSUER, discovery)", () => {
  let oidc: JwksServer;
  let oidcKey: SigningKey;
  let discovered: TestService;
  const discoveryOutages = outageLog();
  beforeAll(async () => {
    oidcKey = await newSigningKey("oidc-1");
    oidc = await startJwksServer([oidcKey]);
    discovered = await startTestService(
      { ...settings, AUTH_ISSUER: oidc.url },
      { logger: discoveryOutages.logger },
    );
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await discovered?.stop();
    await oidc?.stop();
  });
  const token = (overrides: Record<string, unknown> = {}, key = oidcKey) =>
    compact({ alg: "RS256", kid: key.kid }, claims({ iss: oidc.url, ...overrides }), rsa(key));

  test("discovery endpoint down at first use: fail closed, then works once it is back", async () => {
    await oidc.stop();
    try {
      const outcome = await expectRefused(`Bearer ${token()}`, discovered);
      expect(outcome.body.errors![0].message).toBe(RETRY_LATER);
      // Refused on the failed connection, not after waiting out a timeout or retrying.
      expect(discoveryOutages.causes).toEqual([
        expect.stringContaining(`${oidc.url}/.well-known/openid-configuration: the fetch failed`),
      ]);
    } finally {
      await oidc.restart();
    }
    await sleep(COOLDOWN_MS + 150);
    await expectMinted(`Bearer ${token()}`, discovered);
    expect(oidc.discoveryFetches).toBe(1);
  });

  test.each<[string, () => string]>([
    ["an issuer nobody trusts", () => token({ iss: "https://evil.example" })],
    ["the trusted issuer with a trailing slash", () => token({ iss: `${oidc.url}/` })],
    ["the trusted issuer in another case", () => token({ iss: oidc.url.toUpperCase() })],
    ["another issuer's token signed with its own key", () => valid()],
    ["the trusted iss but signed by the other issuer's key", () => token({}, issuerKey)],
  ])("wrong issuer: %s is refused", async (_name, attack) => {
    await expectRefused(`Bearer ${attack()}`, discovered);
  });

  test("the right issuer mints", async () => {
    await expectMinted(`Bearer ${token()}`, discovered);
  });
});
