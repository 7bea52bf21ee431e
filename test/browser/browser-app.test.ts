// A real browser (Debian's headless Chromium, driven by playwright-core) runs the example app from an
// allowed origin and from a disallowed one: CORS and CSRF prevention let the first in and keep the
// second out. A screenshot is saved to test-artifacts/.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { recordJwtsIn, sweepDir } from "../support/secret-sweep";
import { startTestService, type TestService } from "../support/service";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const EXAMPLE = path.resolve(__dirname, "../../examples/browser-app");
const ARTIFACTS = path.resolve(__dirname, "../../test-artifacts");

function buildExampleIfStale() {
  const built = path.join(EXAMPLE, "dist", "app.js");
  const sources = ["src/main.ts", "src/token-refresher.ts", "index.html"].map(
    (f) => statSync(path.join(EXAMPLE, f)).mtimeMs,
  );
  if (!existsSync(built) || statSync(built).mtimeMs < Math.max(...sources)) {
    execFileSync(process.execPath, [path.join(EXAMPLE, "build.mjs")], { stdio: "ignore" });
  }
}

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

const available = existsSync(CHROMIUM);
if (!available && process.env.CI === "true")
  throw new Error(`Chromium is required in CI but ${CHROMIUM} is missing`);
const describeIfBrowser = available ? describe : describe.skip;
if (!available)
  console.warn(`SKIPPED (no Chromium at ${CHROMIUM}): the browser test of examples/browser-app`);

describeIfBrowser("the example app in headless Chromium", () => {
  let allowed: { origin: string; close(): Promise<void> };
  let disallowed: { origin: string; close(): Promise<void> };
  let service: TestService;
  let browser: Browser;

  beforeAll(async () => {
    buildExampleIfStale();
    allowed = await serveExample();
    disallowed = await serveExample();
    service = await startTestService({ CORS_ORIGINS: allowed.origin });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, SERVICE_START_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await allowed?.close();
    await disallowed?.close();
  });

  test("from the allowed origin it signs in, shows the identity and expiry, and refreshes", async () => {
    const page = await browser.newPage();
    // The ACS tokens the browser receives join the secret sweep's list (its requests bypass jest's fetch).
    const received: Array<Promise<number>> = [];
    page.on("response", (response) => {
      if (response.url() === service.graphqlUrl && response.request().method() === "POST")
        received.push(response.text().then((body) => recordJwtsIn(body, "browser-app.test.ts")));
    });
    await page.goto(`${allowed.origin}/?api=${encodeURIComponent(service.graphqlUrl)}`);
    await page.fill("#bearer", await service.tokenFor("browser-alice", ["user"]));
    await page.click("#sign-in");
    await page.waitForSelector("#result:not([hidden])", { timeout: 15_000 });
    const identity = await page.textContent("#identity");
    expect(identity).toMatch(/^8:acs:[0-9a-f-]{36}_[0-9a-f-]{36}$/);
    const expires = Date.parse((await page.textContent("#expires"))!);
    expect(expires).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(await page.textContent("#scopes")).toBe("CHAT, VOIP");
    expect(await page.textContent("#error")).toBe("");

    await page.click("#refresh");
    await page.waitForFunction('document.getElementById("refreshes").textContent === "2"');
    expect(await page.textContent("#identity")).toBe(identity); // same identity, fresh token

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "browser-app.png"), fullPage: true });
    const owned = await service.store.identities.findActiveByOwner("browser-alice");
    expect(owned?.id).toBe(identity);
    if (sweepDir())
      expect((await Promise.all(received)).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
  });

  test("from a disallowed origin the browser blocks the call and nothing is created", async () => {
    const page = await browser.newPage();
    await page.goto(`${disallowed.origin}/?api=${encodeURIComponent(service.graphqlUrl)}`);
    await page.fill("#bearer", await service.tokenFor("browser-mallory", ["user"]));
    await page.click("#sign-in");
    await page.waitForFunction('document.getElementById("error").textContent !== ""', undefined, {
      timeout: 15_000,
    });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "browser-app-disallowed.png"), fullPage: true });
    expect(await page.textContent("#error")).toMatch(/fetch|network/i);
    expect(await page.isHidden("#result")).toBe(true);
    expect(await service.store.identities.findActiveByOwner("browser-mallory")).toBeUndefined();
  });

  test("simple cross-site requests, which skip the preflight, never run an operation (CSRF prevention)", async () => {
    const operations = async () => {
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      return [...metrics.matchAll(/^graphql_operations_total\{[^}]*\} (\d+)$/gm)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
    };
    const page = await browser.newPage();
    await page.goto(`${disallowed.origin}/`);
    const before = await operations();
    await page.evaluate(async (url) => {
      const query = "{ viewer { authenticated } }";
      await fetch(`${url}?query=${encodeURIComponent(query)}`, { mode: "no-cors" });
      await fetch(url, {
        method: "POST",
        mode: "no-cors",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ query }),
      });
    }, service.graphqlUrl);
    expect(await operations()).toBe(before);
    // The same GET with the header Apollo's CSRF prevention asks for does run (from a non-browser client).
    await fetch(`${service.graphqlUrl}?query=${encodeURIComponent("{ viewer { authenticated } }")}`, {
      headers: { "apollo-require-preflight": "true" },
    });
    expect(await operations()).toBe(before + 1);
  });
});
