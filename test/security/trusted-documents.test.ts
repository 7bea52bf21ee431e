// Trusted documents (TRUSTED_DOCUMENTS_FILE): the service runs only the operations registered in a
// manifest, in Apollo's persisted query list format or Hive's id -> document map, and refuses every
// other document with PERSISTED_QUERY_NOT_IN_LIST. The example app's operations are extracted at
// build time and registered; headless Chromium runs the app against a service that trusts only them.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { loadTrustedDocuments } from "../../src/server/trusted-documents";
import { recordJwtsIn } from "../support/secret-sweep";
import { startTestService, type TestService } from "../support/service";

const EXAMPLE = path.resolve(__dirname, "../../examples/browser-app");
const MANIFEST = path.join(EXAMPLE, "dist", "persisted-query-manifest.json");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const scratch = mkdtempSync(path.join(os.tmpdir(), "trusted-documents-"));
const write = (name: string, content: unknown) => {
  const file = path.join(scratch, name);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
};

interface Manifest {
  operations: Array<{ id: string; name: string; body: string }>;
}

beforeAll(() => {
  // The build extracts the app's operations (Apollo's generator) before it bundles them.
  execFileSync(process.execPath, [path.join(EXAMPLE, "build.mjs")], { stdio: "ignore" });
}, 120_000);

describe("the manifest", () => {
  test("the example app's build registers its one operation, in Apollo's format", () => {
    const manifest = JSON.parse(readFileSync(MANIFEST, "utf8")) as Manifest & { format: string };
    expect(manifest.format).toBe("apollo-persisted-query-manifest");
    expect(manifest.operations.map((o) => o.name)).toEqual(["IssueMyAccessToken"]);
    expect(manifest.operations[0].id).toBe(sha256(manifest.operations[0].body));
  });

  test("Hive's id -> document map is read too", () => {
    const documents = loadTrustedDocuments(
      write("hive.json", { "app~1~viewer": "{ viewer { authenticated } }" }),
    );
    expect(documents.byId.get("app~1~viewer")).toBe("{ viewer { authenticated } }");
    expect(documents.size).toBe(1);
  });

  test.each([
    [
      "an Apollo id that is not its body's sha256",
      {
        format: "apollo-persisted-query-manifest",
        version: 1,
        operations: [{ id: "0".repeat(64), name: "X", type: "query", body: "{ viewer { authenticated } }" }],
      },
      /its id is not the sha256 of its body/,
    ],
    ["a document that does not parse", { x: "{ viewer {" }, /entry x is not a GraphQL document/],
    ["no documents", {}, /registers no documents/],
    ["not JSON", "{nope", /cannot be read as JSON/],
  ])("%s refuses the start", (_what, content, message) => {
    expect(() => loadTrustedDocuments(write("bad.json", content))).toThrow(message);
  });
});

describe("a service that runs only trusted documents", () => {
  let service: TestService;
  let manifest: Manifest;
  const hive = write("hive-viewer.json", {
    "app~1~viewer": "query Viewer { viewer { authenticated subject } }",
  });
  let allowed: { origin: string; close(): Promise<void> };

  beforeAll(async () => {
    manifest = JSON.parse(readFileSync(MANIFEST, "utf8")) as Manifest;
    allowed = await serveExample();
    service = await startTestService({ TRUSTED_DOCUMENTS_FILE: MANIFEST, CORS_ORIGINS: allowed.origin });
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    await allowed?.close();
  });

  const post = async (body: unknown, token?: string) => {
    const response = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    await recordJwtsIn(text, "trusted-documents.test.ts");
    return { status: response.status, cache: response.headers.get("cache-control"), body: JSON.parse(text) };
  };

  test("a registered operation runs by its Apollo id alone", async () => {
    const token = await service.tokenFor("trusted-alice", ["user"]);
    const answer = await post(
      {
        variables: { scopes: ["CHAT"] },
        extensions: { persistedQuery: { version: 1, sha256Hash: manifest.operations[0].id } },
      },
      token,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.data.issueMyAccessToken.identity.id).toMatch(/^8:acs:/);
  });

  test("the registered text itself runs too", async () => {
    const token = await service.tokenFor("trusted-bob", ["user"]);
    const answer = await post({ query: manifest.operations[0].body, variables: { scopes: ["VOIP"] } }, token);
    expect(answer.body.data.issueMyAccessToken.scopes).toEqual(["VOIP"]);
  });

  test.each([
    ["an arbitrary document", { query: "{ viewer { authenticated } }" }],
    ["an unknown Apollo id", { extensions: { persistedQuery: { version: 1, sha256Hash: "f".repeat(64) } } }],
    ["an unknown documentId", { documentId: "app~1~viewer" }],
    [
      "a registered id with another document",
      {
        query: "{ viewer { authenticated } }",
        extensions: { persistedQuery: { version: 1, sha256Hash: "" } },
      },
    ],
  ])("%s is refused with PERSISTED_QUERY_NOT_IN_LIST and never runs", async (_what, body) => {
    const request = structuredClone(body) as { extensions?: { persistedQuery: { sha256Hash: string } } };
    if (request.extensions?.persistedQuery.sha256Hash === "")
      request.extensions.persistedQuery.sha256Hash = manifest.operations[0].id;
    const answer = await post(request);
    expect(answer.status).toBe(400);
    expect(answer.cache).toBe("no-store");
    expect(answer.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual([
      "PERSISTED_QUERY_NOT_IN_LIST",
    ]);
    expect(answer.body.data).toBeUndefined();
  });

  test("Hive's documentId names a document of a Hive manifest", async () => {
    const other = await startTestService({ TRUSTED_DOCUMENTS_FILE: hive });
    try {
      const token = await other.tokenFor("hive-user", ["user"]);
      const response = await fetch(other.graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ documentId: "app~1~viewer" }),
      });
      expect(await response.json()).toEqual({
        data: { viewer: { authenticated: true, subject: "hive-user" } },
      });
    } finally {
      await other.stop();
    }
  }, 60_000);

  const available = existsSync(CHROMIUM);
  if (!available && process.env.CI === "true")
    throw new Error(`Chromium is required in CI but ${CHROMIUM} is missing`);
  (available ? test : test.skip)(
    "the example app, in headless Chromium, gets its tokens from a service that trusts only its operations",
    async () => {
      let browser: Browser | undefined;
      try {
        browser = await chromium.launch({
          executablePath: CHROMIUM,
          args: ["--no-sandbox", "--disable-gpu"],
        });
        const page = await browser.newPage();
        const bodies: string[] = [];
        const received: Array<Promise<number>> = [];
        page.on("request", (request) => {
          if (request.url() === service.graphqlUrl && request.method() === "POST")
            bodies.push(request.postData() ?? "");
        });
        page.on("response", (response) => {
          if (response.url() === service.graphqlUrl && response.request().method() === "POST")
            received.push(response.text().then((body) => recordJwtsIn(body, "trusted-documents.test.ts")));
        });
        await page.goto(`${allowed.origin}/?api=${encodeURIComponent(service.graphqlUrl)}`);
        await page.fill("#bearer", await service.tokenFor("trusted-browser", ["user"]));
        await page.click("#sign-in");
        await page.waitForSelector("#result:not([hidden])", { timeout: 15_000 });
        expect(await page.textContent("#identity")).toMatch(/^8:acs:/);
        expect(await page.textContent("#error")).toBe("");
        await Promise.all(received);
        // The app sent the operation's id only, never its text.
        expect(bodies.length).toBeGreaterThan(0);
        for (const body of bodies) {
          const sent = JSON.parse(body) as {
            query?: string;
            extensions?: { persistedQuery?: { sha256Hash: string } };
          };
          expect(sent.query).toBeUndefined();
          expect(sent.extensions?.persistedQuery?.sha256Hash).toBe(manifest.operations[0].id);
        }
      } finally {
        await browser?.close();
      }
    },
    60_000,
  );
});

async function serveExample(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const file = new URL(req.url ?? "/", "http://x").pathname === "/app.js" ? "app.js" : "index.html";
    res.setHeader("content-type", file.endsWith(".js") ? "text/javascript" : "text/html");
    res.end(readFileSync(path.join(EXAMPLE, "dist", file)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
