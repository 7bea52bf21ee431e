// The HTTP surface: CORS allowlist and CSRF prevention, landing pages, health, metrics, request ids.
import { preflight as preflightFrom } from "../support/graphql-client";
import { startProductionTestService, startTestService, type TestService } from "../support/service";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

const APP_ORIGIN = "http://app.example.test:5173";

describe("in development", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ CORS_ORIGINS: APP_ORIGIN });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(() => service?.stop());

  const preflight = (origin: string) => preflightFrom(service.graphqlUrl, origin);

  test.each([APP_ORIGIN, "https://studio.apollographql.com", "https://sandbox.embed.apollographql.com"])(
    "a preflight from the allowed origin %s succeeds",
    async (origin) => {
      const response = await preflight(origin);
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-allow-headers")).toContain("authorization");
    },
  );

  test("a preflight from any other origin is refused", async () => {
    const response = await preflight("https://evil.example");
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("a simple cross-site request cannot run an operation (CSRF prevention)", async () => {
    const response = await fetch(
      `${service.graphqlUrl}?query=${encodeURIComponent("{ viewer { authenticated } }")}`,
      {
        headers: { origin: "https://evil.example" },
      },
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/i);
  });

  test("the landing page is Apollo Sandbox", async () => {
    const response = await fetch(service.graphqlUrl, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/new window\.EmbeddedSandbox\(/);
  });

  test("health, readiness and metrics answer, and every response carries a request id", async () => {
    const health = await fetch(`${service.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const ready = await fetch(`${service.url}/readyz`);
    expect(await ready.json()).toEqual({
      status: "ready",
      checks: { database: "ok", rateLimiter: "ok" },
    });
    const echoed = await fetch(`${service.url}/healthz`, { headers: { "x-request-id": "my-request-12345" } });
    // The id is always the service's own; a client's id is only recorded beside it (audit trail).
    expect(echoed.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ viewer { authenticated } }" }),
    });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/graphql_operations_total\{type="query",code="OK"\} [1-9]/);
  });
  // Readiness and ACS: test/resilience/readiness.test.ts
});

describe("in production", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startProductionTestService();
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(() => service?.stop());

  test("there is no Sandbox, no introspection, and no development tokens", async () => {
    const page = await (await fetch(service.graphqlUrl, { headers: { accept: "text/html" } })).text();
    expect(page).not.toMatch(/EmbeddedSandbox\(/);
    const introspection = await fetch(service.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __schema { types { name } } }" }),
    });
    expect(((await introspection.json()) as { errors: unknown[] }).errors).toBeDefined();
    expect(service.devIssuer).toBeUndefined();
  });

  test("Studio's origin is not allowed unless configured", async () => {
    const response = await fetch(service.graphqlUrl, {
      method: "OPTIONS",
      headers: { origin: "https://studio.apollographql.com", "access-control-request-method": "POST" },
    });
    expect(response.status).toBe(403);
  });
});
