// Unit layer: how every failure the ACS SDK can throw becomes one stable error code for our callers.
// No HTTP here: each row is the error shape the SDK (core-rest-pipeline) throws. The end-to-end suites
// reach some of these through the emulator; timeouts, network errors, 400 and 401 Denied only here.
import { AcsThrottledError } from "../../src/acs/throttling-policy";
import { mapAcsError } from "../../src/acs/error-mapping";
import { AppError, ErrorCode } from "../../src/errors";

/** What the SDK throws for an HTTP answer: a RestError-like object with statusCode and ACS's code. */
const restError = (statusCode: number, code?: string, message = `ACS said ${code} (echoing input)`) =>
  Object.assign(new Error(message), { name: "RestError", statusCode, code });
/** What undici/node throw for a transport failure: no statusCode, a system error code. */
const systemError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
const named = (name: string) => Object.assign(new Error("The operation was aborted."), { name });

const cases: Array<[string, unknown, ErrorCode, RegExp, { acsCode?: string; acsStatus?: number }]> = [
  ["an abort (our timeout fired)", named("AbortError"), ErrorCode.ACS_UNAVAILABLE, /within 2500 ms/, {}],
  ["a TimeoutError", named("TimeoutError"), ErrorCode.ACS_UNAVAILABLE, /within 2500 ms/, {}],
  ...["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ESOCKETTIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EPIPE"].map(
    (code) =>
      [
        `a network error (${code})`,
        systemError(code),
        ErrorCode.ACS_UNAVAILABLE,
        /cannot be reached/,
        { acsCode: code, acsStatus: undefined },
      ] as (typeof cases)[number],
  ),
  ["an unknown error without a status", new Error("boom"), ErrorCode.INTERNAL, /^ACS mint failed\.$/, {}],
  ["an unknown system error code", systemError("EWHATEVER"), ErrorCode.INTERNAL, /^ACS mint failed\.$/, {}],
  ["404", restError(404, "IdentityNotFound"), ErrorCode.NOT_FOUND, /no longer exists/, { acsStatus: 404 }],
  [
    "401 IdentityNotOwned",
    restError(401, "IdentityNotOwned"),
    ErrorCode.NOT_FOUND,
    /does not belong/,
    { acsCode: "IdentityNotOwned", acsStatus: 401 },
  ],
  // Our credential is wrong: the operator's problem, never reported as the caller's.
  ["401 Denied", restError(401, "Denied"), ErrorCode.INTERNAL, /^ACS mint failed\.$/, { acsStatus: 401 }],
  ["403", restError(403, "Forbidden"), ErrorCode.INTERNAL, /^ACS mint failed\.$/, { acsStatus: 403 }],
  ["400", restError(400, "InvalidScopes"), ErrorCode.BAD_USER_INPUT, /rejected the request/, {}],
  ["408", restError(408), ErrorCode.ACS_UNAVAILABLE, /unavailable/, { acsStatus: 408 }],
  ["500", restError(500, "InternalError"), ErrorCode.ACS_UNAVAILABLE, /unavailable/, { acsStatus: 500 }],
  ["503", restError(503, "ServiceUnavailable"), ErrorCode.ACS_UNAVAILABLE, /unavailable/, {}],
  ["418 (anything else)", restError(418), ErrorCode.INTERNAL, /^ACS mint failed\.$/, { acsStatus: 418 }],
];

describe("mapAcsError", () => {
  test.each(cases)("%s", (_name, thrown, code, message, remembered) => {
    const mapped = mapAcsError("mint", thrown, 2500);
    expect(mapped).toBeInstanceOf(AppError);
    expect(mapped.code).toBe(code);
    expect(mapped.message).toMatch(message);
    expect(mapped).toMatchObject(remembered);
    // Our own words, never ACS's (its text can echo input); the original stays as the cause, for logs.
    if (thrown instanceof Error) {
      expect(mapped.message).not.toContain(thrown.message);
      expect(mapped.cause).toBe(thrown);
    }
    expect(mapped.details).toEqual({});
  });

  test("ACS throttling keeps ACS's Retry-After for the caller", () => {
    const mapped = mapAcsError("mint", new AcsThrottledError(17), 2500);
    expect(mapped.code).toBe(ErrorCode.ACS_THROTTLED);
    expect(mapped.details).toEqual({ retryAfterSeconds: 17 });
    expect(mapped.message).toMatch(/retry after 17 seconds/);
    expect(mapped).toMatchObject({ acsCode: "TooManyRequests", acsStatus: 429 });
  });

  test("an error that is already ours passes through unchanged", () => {
    const ours = new AppError(ErrorCode.RATE_LIMITED, "slow down", { retryAfterSeconds: 3 });
    expect(mapAcsError("mint", ours, 2500)).toBe(ours);
  });

  test("non-Error values thrown by a dependency still map, without crashing", () => {
    for (const thrown of [undefined, null, "a string", 42, { statusCode: 503 }]) {
      const mapped = mapAcsError("revoke", thrown ?? {}, 1000);
      expect(Object.values(ErrorCode)).toContain(mapped.code);
    }
    expect(mapAcsError("revoke", { statusCode: 503 }, 1000).code).toBe(ErrorCode.ACS_UNAVAILABLE);
    expect(mapAcsError("revoke", "a string", 1000).message).toBe("ACS revoke failed.");
  });
});
