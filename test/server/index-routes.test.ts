// `/` and unknown paths over HTTP: browsers are sent to /graphql, other clients get a JSON index, and
// nothing answers with Express's HTML 404.
import { INDEX } from "../../src/server/index-routes";
import { startTestService, type TestService } from "../support/service";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
}, 120_000);
afterAll(() => service?.stop());

const NOT_FOUND = {
  errors: [
    { message: "Nothing is served at this path. The API is at /graphql.", extensions: { code: "NOT_FOUND" } },
  ],
};

test("a browser asking for / is redirected to /graphql, where Sandbox answers", async () => {
  const accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
  const response = await fetch(`${service.url}/`, { headers: { accept }, redirect: "manual" });
  expect(response.status).toBe(302);
  expect(response.headers.get("location")).toBe("/graphql");
  expect(response.headers.get("vary")).toMatch(/accept/i);

  const followed = await fetch(`${service.url}/`, { headers: { accept } });
  expect(followed.url).toBe(service.graphqlUrl);
  expect(await followed.text()).toMatch(/new window\.EmbeddedSandbox\(/);
});

test.each([
  ["curl's default", "*/*"],
  ["JSON", "application/json"],
  ["no Accept header", undefined],
])("any other client (%s) gets a JSON index whose links answer", async (_name, accept) => {
  const response = await fetch(`${service.url}/`, {
    headers: accept === undefined ? {} : { accept },
    redirect: "manual",
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(await response.json()).toEqual(INDEX);

  for (const link of [INDEX.health, INDEX.readiness, INDEX.metrics]) {
    expect((await fetch(`${service.url}${link}`)).status).toBe(200);
  }
  const graphql = await fetch(`${service.url}${INDEX.graphql}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ viewer { authenticated } }" }),
  });
  expect(await graphql.json()).toEqual({ data: { viewer: { authenticated: false } } });
});

test.each([
  ["GET", "/nope"],
  ["GET", "/favicon.ico"],
  ["POST", "/api"],
  ["DELETE", "/"],
  ["GET", "/%3Cscript%3Ealert(1)%3C/script%3E"],
])("%s %s answers 404 in JSON, without echoing the path", async (method, pathname) => {
  const response = await fetch(`${service.url}${pathname}`, { method, headers: { accept: "text/html" } });
  expect(response.status).toBe(404);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("x-request-id")).toBeTruthy();
  expect(await response.json()).toEqual(NOT_FOUND);
});

/** The anonymous `viewer` query, POSTed to `pathname`. */
const askViewer = (pathname: string) =>
  fetch(`${service.url}${pathname}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ viewer { authenticated } }" }),
  });

test.each(["/graphql", "/graphql/", "/GraphQL", "/graphql?x=1"])(
  "%s is the GraphQL endpoint, with the headers every route sends",
  async (pathname) => {
    const response = await askViewer(pathname);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({ data: { viewer: { authenticated: false } } });
  },
);

test.each(["/graphqlx", "/graph", "/api/graphql"])(
  "%s is not the GraphQL endpoint: 404",
  async (pathname) => {
    const response = await askViewer(pathname);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual(NOT_FOUND);
  },
);
