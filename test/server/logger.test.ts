// The logger's redaction, as a unit: secret-named properties at any depth, errors, and secret-shaped
// values inside messages (src/server/logger.ts). The whole-flow sweep is in test/api/secrets.test.ts.
import { createLogger } from "../../src/server/logger";

describe("the logger's redaction", () => {
  const jwt = `eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSIsInJvbGVzIjpbInVzZXIiXX0.${"S1gnatur3".repeat(8)}`;
  const key = "c2VjcmV0LWFjY2Vzcy1rZXktMTIzNDU2Nzg5MGFiY2RlZg==";
  function capture(log: (logger: ReturnType<typeof createLogger>) => void): string {
    const out: string[] = [];
    log(createLogger("trace", { write: (line: string) => void out.push(line) }));
    return out.join("");
  }
  const segments = [jwt, ...jwt.split(".").slice(1), key, "hunter2-the-password"];
  const expectNoSecret = (text: string) => {
    for (const secret of segments) expect(text).not.toContain(secret);
  };

  test.each([
    "authorization",
    "Authorization",
    "AUTHORIZATION",
    "proxy-authorization",
    "cookie",
    "Set-Cookie",
    "token",
    "accessToken",
    "access_token",
    "acsToken",
    "id_token",
    "bearer",
    "accessKey",
    "access_key",
    "AccessKey",
    "connectionString",
    "ACS_CONNECTION_STRING",
    "password",
    "PGPASSWORD",
    "clientSecret",
    "x-api-key",
    "privateKey",
    "databaseUrl",
    "DATABASE_URL",
    "x-ms-signature",
  ])("a property named %s is censored at any depth, in arrays and in child bindings", (name) => {
    const value = `${jwt} ${key} hunter2-the-password`;
    const text = capture((logger) => {
      logger.info({ [name]: value, kept: "visible" });
      logger.info({ a: { b: { c: { d: { e: { [name]: value } } } } } });
      logger.info({ list: [{ headers: { [name]: value } }] });
      logger.child({ [name]: value }).info("bound");
    });
    expectNoSecret(text);
    expect(text).toContain('"kept":"visible"');
    expect(text.match(/\[redacted\]/g)!.length).toBeGreaterThanOrEqual(4);
  });

  test("errors keep their type, message and stack; their configs, requests and causes lose their credentials", () => {
    const error = Object.assign(new Error("request failed"), {
      config: { headers: { Authorization: `Bearer ${jwt}`, "x-ms-date": "Tue, 25 Nov 2026 08:00:00 GMT" } },
      request: { headers: { authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host&Signature=${key}` } },
    });
    const cause = Object.assign(new TypeError("inner"), {
      response: { request: { headers: { cookie: key } } },
    });
    const outer = new Error("outer", { cause: error });
    const text = capture((logger) => {
      logger.error({ err: error }, "failed");
      logger.error(outer);
      logger.error({ err: { code: "INTERNAL", cause } }, "operation failed");
    });
    expectNoSecret(text);
    const [first] = text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(first.err).toMatchObject({ type: "Error", message: "request failed" });
    expect(first.err.stack).toContain("request failed");
    expect(first.err.config.headers["x-ms-date"]).toBe("Tue, 25 Nov 2026 08:00:00 GMT");
  });

  test("secret-shaped values inside messages are scrubbed wherever they appear", () => {
    const text = capture((logger) => {
      logger.warn(`could not verify ${jwt}`);
      logger.warn(`header was Bearer ${key}`);
      logger.warn(`connection string endpoint=https://x.communication.azure.com/;accesskey=${key}`);
      logger.warn({ note: `postgres://app:hunter2-the-password@db:5432/x` }, "database");
      logger.warn({ note: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${key}` });
      logger.warn(`payload only: ${jwt.split(".")[1]}`);
    });
    expectNoSecret(text);
    expect(text).toContain("postgres://app:[redacted]@db:5432/x");
    expect(text).toContain("accesskey=[redacted]");
  });

  test("prose about tokens stays readable", () => {
    const text = capture((logger) => logger.info("bearer token missing; Basic auth is refused"));
    expect(text).toContain("bearer token missing; Basic auth is refused");
  });

  test("an object's own toJSON or getters never run on unwalked data; the logged object is left as it was", () => {
    class Session {
      id = "session-1";
      toJSON() {
        return { note: jwt };
      }
      get leaked() {
        return jwt;
      }
    }
    const fields = { requestId: "r-1", nested: { accessToken: jwt, kept: "visible" } };
    const text = capture((logger) => logger.info({ session: new Session(), fields }));
    expectNoSecret(text);
    expect(text).toContain('"session":{"id":"session-1"}');
    expect(text).toContain('"kept":"visible"');
    expect(fields.nested.accessToken).toBe(jwt); // censored in the line, not in the caller's object
  });
});
