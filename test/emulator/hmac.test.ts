// Raw HTTP against the emulator's HMAC check: every way a signature can be wrong gets 401 Denied with
// the service's error body; an identical replay (what the SDK's retries send) is accepted.
import http from "node:http";
import { startEmulator, type RunningEmulator } from "../../src/emulator";
import { send, signedRequest, type RawRequest } from "../support/emulator";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

// Tests here start services (or emulators, or child processes) of their own.
jest.setTimeout(SERVICE_START_TIMEOUT_MS);

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator();
}, SERVICE_START_TIMEOUT_MS);
afterAll(() => emulator?.close());

const CREATE: RawRequest = { method: "POST", pathAndQuery: "/identities?api-version=2023-10-01", body: "" };
const DENIED = { error: { code: "Denied", message: "Denied by the resource provider." } };
const sign = (request = CREATE, date?: Date, key = emulator.accessKey) =>
  signedRequest(emulator.endpoint, key, request, date);

test("a correctly signed empty-body create succeeds with the service's headers", async () => {
  const response = await send(sign());
  expect(response.status).toBe(201);
  expect(Object.keys(response.json!)).toEqual(["identity"]);
  expect(response.headers.get("api-supported-versions")).toContain("2023-10-01");
  expect(response.headers.get("x-ms-client-request-id")).toBe("raw-test-request");
  expect(response.headers.get("ms-cv")).toBeTruthy();
  expect(response.headers.get("x-processing-time")).toMatch(/^\d+ms$/);
});

test("an identical replay is accepted (SDK retries resend the same signature)", async () => {
  const signed = sign();
  expect((await send(signed)).status).toBe(201);
  expect((await send(signed)).status).toBe(201);
});

test.each<[string, () => Promise<Awaited<ReturnType<typeof send>>>]>([
  ["a wrong key", () => send(sign(CREATE, undefined, Buffer.from("not the key").toString("base64")))],
  [
    "a tampered body",
    () =>
      send(sign({ ...CREATE, body: '{"createTokenWithScopes":["chat"]}' }), {
        body: '{"createTokenWithScopes":["voip"]}',
      }),
  ],
  [
    "a tampered path",
    async () => {
      const signed = sign({
        method: "POST",
        pathAndQuery: `/identities/${encodeURIComponent(`8:acs:${emulator.resourceId}_a`)}/:revokeAccessTokens?api-version=2023-10-01`,
      });
      return send(signed, { url: signed.url.replace("_a/", "_b/") });
    },
  ],
  [
    "a tampered query",
    async () => {
      const signed = sign();
      return send(signed, { url: signed.url.replace("2023-10-01", "2022-10-01") });
    },
  ],
  ["no Authorization header", () => send(sign({ ...CREATE, headers: { authorization: undefined } }))],
  [
    "a malformed Authorization header",
    () => send(sign({ ...CREATE, headers: { authorization: "HMAC-SHA256 Signature=abc" } })),
  ],
  [
    "a Bearer Authorization header",
    () => send(sign({ ...CREATE, headers: { authorization: "Bearer abc.def.ghi" } })),
  ],
  ["no x-ms-date", () => send(sign({ ...CREATE, headers: { "x-ms-date": undefined } }))],
  ["an unparseable x-ms-date", () => send(sign({ ...CREATE, headers: { "x-ms-date": "yesterday" } }))],
  ["no x-ms-content-sha256", () => send(sign({ ...CREATE, headers: { "x-ms-content-sha256": undefined } }))],
  [
    "a content hash that is not the body's",
    () => send(sign({ ...CREATE, headers: { "x-ms-content-sha256": "not-a-hash" } })),
  ],
  [
    "a signature over other signed headers",
    async () => {
      const signed = sign();
      const auth = (signed.init.headers as Record<string, string>).authorization;
      return send(
        sign({ ...CREATE, headers: { authorization: auth.replace("x-ms-date;host;", "host;x-ms-date;") } }),
      );
    },
  ],
  ["a date 20 minutes old", () => send(sign(CREATE, new Date(Date.now() - 20 * 60_000)))],
  ["a date 20 minutes ahead", () => send(sign(CREATE, new Date(Date.now() + 20 * 60_000)))],
])("%s gets 401 Denied", async (_name, attempt) => {
  const created = emulator.stats().identitiesCreated;
  const response = await attempt();
  expect(response.status).toBe(401);
  expect(response.json).toEqual(DENIED);
  expect(response.headers.get("content-type")).toBe("application/json");
  expect(response.headers.get("x-processing-time")).toMatch(/^\d+ms$/);
  expect(response.headers.get("x-ms-client-request-id")).toBe("raw-test-request");
  expect(emulator.stats().identitiesCreated).toBe(created);
});

/** node:http, where fetch would not let a test choose the Host header or see Transfer-Encoding. */
function rawHttp(signed: ReturnType<typeof sign>, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>(
    (resolve, reject) => {
      const body = signed.init.body ?? "";
      const request = http.request(
        signed.url,
        {
          method: signed.init.method,
          headers: {
            ...(signed.init.headers as Record<string, string>),
            "content-length": body.length,
            ...headers,
          },
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (text += chunk));
          response.on("end", () =>
            resolve({ status: response.statusCode!, headers: response.headers, text }),
          );
        },
      );
      request.on("error", reject);
      request.end(body);
    },
  );
}

test("the Host header is signed: another host is Denied", async () => {
  const response = await rawHttp(sign(), { host: `localhost:${emulator.port}` });
  expect(response.status).toBe(401);
  expect(JSON.parse(response.text)).toEqual(DENIED);
});

test("Content-Length: 0 with Content-Type: application/json creates (what createUser sends)", async () => {
  const response = await rawHttp(sign());
  expect(response.status).toBe(201);
  expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
});

test("errors are sent like the service's: application/json without charset, chunked", async () => {
  const response = await rawHttp(sign(CREATE, undefined, Buffer.from("wrong").toString("base64")));
  expect(response.status).toBe(401);
  expect(response.headers["content-type"]).toBe("application/json");
  expect(response.headers["transfer-encoding"]).toBe("chunked");
});

test("204 answers have no body and no Content-Type", async () => {
  const id = (await send(sign())).json!.identity.id as string;
  const response = await rawHttp(
    sign({
      method: "POST",
      pathAndQuery: `/identities/${encodeURIComponent(id)}/:revokeAccessTokens?api-version=2023-10-01`,
    }),
  );
  expect(response.status).toBe(204);
  expect(response.text).toBe("");
  expect(response.headers["content-type"]).toBeUndefined();
  expect(response.headers["api-supported-versions"]).toContain("2023-10-01");
  expect(response.headers["x-ms-client-request-id"]).toBe("raw-test-request");
});

test("the date tolerance is configurable", async () => {
  const strict = await startEmulator({ clockSkewSeconds: 60 });
  try {
    const at = (secondsAgo: number) =>
      send(
        signedRequest(strict.endpoint, strict.accessKey, CREATE, new Date(Date.now() - secondsAgo * 1000)),
      );
    expect((await at(30)).status).toBe(201);
    expect((await at(120)).status).toBe(401);
  } finally {
    await strict.close();
  }
});

test("a date within the tolerance (10 minutes) is accepted", async () => {
  expect((await send(sign(CREATE, new Date(Date.now() - 10 * 60_000)))).status).toBe(201);
});

test.each([
  ["an unsupported api-version", "/identities?api-version=2019-01-01"],
  ["no api-version", "/identities"],
])("%s gets 400 with an error body", async (_name, pathAndQuery) => {
  const response = await send(sign({ ...CREATE, pathAndQuery }));
  expect(response.status).toBe(400);
  expect(response.json!.error.code).toBe("UnsupportedApiVersion");
  expect(response.headers.get("api-supported-versions")).toContain("2023-10-01");
});

test("the Teams route has its own, shorter list of versions", async () => {
  const response = await send(
    sign({
      method: "POST",
      pathAndQuery: "/teamsUser/:exchangeAccessToken?api-version=2021-03-07",
      body: "{}",
    }),
  );
  expect(response.status).toBe(400);
  expect(response.json!.error.code).toBe("UnsupportedApiVersion");
  expect(response.headers.get("api-supported-versions")).toBe(
    "2021-10-31-preview, 2022-06-01, 2022-10-01, 2023-10-01, 2025-03-02-preview",
  );
});

test("every supported api-version works", async () => {
  for (const version of [
    "2020-07-20-preview2",
    "2021-03-07",
    "2021-10-31-preview",
    "2021-11-01",
    "2022-06-01",
    "2022-10-01",
    "2023-10-01",
    "2025-03-02-preview",
    "2025-03-31-preview",
  ]) {
    expect((await send(sign({ ...CREATE, pathAndQuery: `/identities?api-version=${version}` }))).status).toBe(
      201,
    );
  }
});

test("a body that is not JSON gets 400 BadRequest", async () => {
  const response = await send(sign({ ...CREATE, body: "{nope" }));
  expect(response.status).toBe(400);
  expect(response.json!.error.code).toBe("BadRequest");
});
