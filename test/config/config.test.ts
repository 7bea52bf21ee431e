import { ConfigError, loadConfig } from "../../src/config";

const errorOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
};

test("nothing configured means the embedded default", () => {
  const config = loadConfig({});
  expect(config.acs.kind).toBe("emulator");
  expect(config.database.kind).toBe("embedded");
  expect(config.port).toBe(4000);
  expect(config.host).toBe("127.0.0.1");
  expect(config.auth.devTokens).toBe(true);
  expect(config.redisUrl).toBeUndefined();
});

test("real ACS, PostgreSQL, Redis and a real issuer are each one setting away", () => {
  const config = loadConfig({
    ACS_CONNECTION_STRING: "endpoint=https://x.communication.azure.com/;accesskey=abc",
    DATABASE_URL: "postgres://u@db/app",
    REDIS_URL: "redis://cache:6379",
    AUTH_ISSUER: "https://login.example.com/tenant/v2.0",
    AUTH_AUDIENCE: "api://acs-identity-graph",
    AUTH_ALGORITHMS: "RS256, ES256",
    NODE_ENV: "production",
  });
  expect(config.acs.kind).toBe("connectionString");
  expect(config.database).toMatchObject({ kind: "postgres", url: "postgres://u@db/app" });
  expect(config.auth).toMatchObject({ algorithms: ["RS256", "ES256"], devTokens: false });
  expect(config.http.introspection).toBe(false);
});

test.each([
  [{ PORT: "70000" }, "PORT"],
  [{ PORT: "abc" }, "PORT"],
  [{ ACS_CONNECTION_STRING: "https://x" }, "ACS_CONNECTION_STRING"],
  [{ ACS_ENDPOINT: "ftp://x" }, "ACS_ENDPOINT"],
  [{ ACS_CONNECTION_STRING: "endpoint=https://x/;accesskey=a", ACS_ENDPOINT: "https://x" }, "ACS_ENDPOINT"],
  [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
  [{ REDIS_URL: "http://x" }, "REDIS_URL"],
  [{ AUTH_ISSUER: "https://issuer" }, "AUTH_AUDIENCE"],
  [{ AUTH_ALGORITHMS: "none" }, "AUTH_ALGORITHMS"],
  [{ AUTH_ALGORITHMS: "HS256" }, "AUTH_ALGORITHMS"],
  [{ NODE_ENV: "production" }, "AUTH_ISSUER"],
  [
    {
      NODE_ENV: "production",
      AUTH_JWKS_URL: "https://i/jwks",
      AUTH_AUDIENCE: "a",
      AUTH_ALLOW_DEV_TOKENS: "true",
    },
    "AUTH_ALLOW_DEV_TOKENS",
  ],
  [{ NODE_ENV: "production", AUTH_JWKS_URL: "https://i/jwks", AUTH_AUDIENCE: "a" }, "AUTH_ISSUER"],
  [{ RATE_LIMIT_MINT_PER_MINUTE: "0" }, "RATE_LIMIT_MINT_PER_MINUTE"],
  [{ CORS_ORIGINS: "https://ok.example, not a url" }, "CORS_ORIGINS"],
  [{ APOLLO_KEY: "service:x" }, "APOLLO_GRAPH_REF"],
  [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
  [{ CORS_ORIGINS: "*" }, "CORS_ORIGINS"],
  [{ CORS_ORIGINS: "https://ok.example,*" }, "CORS_ORIGINS"],
  [{ TRUST_PROXY: "true" }, "TRUST_PROXY"],
  [{ HTTP_REQUEST_TIMEOUT_MS: "5000", HTTP_HEADERS_TIMEOUT_MS: "6000" }, "HTTP_HEADERS_TIMEOUT_MS"],
  [{ AUTH_JWKS_TIMEOUT_MS: "0" }, "AUTH_JWKS_TIMEOUT_MS"],
  [{ AUTH_MAX_TOKEN_BYTES: "100000" }, "AUTH_MAX_TOKEN_BYTES"],
  [{ MAX_ROOT_FIELDS: "0" }, "MAX_ROOT_FIELDS"],
])("a bad setting stops start-up naming it: %j", (env, setting) => {
  expect(errorOf(env)).toContain(setting);
});

test("secrets never appear in configuration errors", () => {
  const message = errorOf({
    ACS_CONNECTION_STRING: "endpoint=https://x/;accesskey=SECRETKEY",
    ACS_ENDPOINT: "https://x",
  });
  expect(message).not.toContain("SECRETKEY");
});

test.each([
  ["false", false],
  ["2", 2],
  ["loopback, 10.0.0.0/8", ["loopback", "10.0.0.0/8"]],
])("TRUST_PROXY=%s names which proxies may report the client address", (value, expected) => {
  expect(loadConfig({ TRUST_PROXY: value }).http.trustProxy).toEqual(expected);
});

test("nothing set: no proxy is trusted, and outside production suggestions and introspection are on", () => {
  const config = loadConfig({});
  expect(config.http).toMatchObject({ trustProxy: false, fieldSuggestions: true, introspection: true });
  const production = loadConfig({
    NODE_ENV: "production",
    AUTH_ISSUER: "https://i",
    AUTH_AUDIENCE: "a",
    ACS_ENDPOINT: "https://acs.example",
  });
  expect(production.http).toMatchObject({
    fieldSuggestions: false,
    introspection: false,
    corsAllowStudio: false,
  });
});
