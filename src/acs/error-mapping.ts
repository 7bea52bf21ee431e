import { AppError, ErrorCode } from "../errors";
import { AcsNotRetriedError, AcsThrottledError } from "./throttling-policy";

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

/** An AppError that also remembers ACS's own error code, for logs and the readiness probe. */
class AcsError extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly acsCode: string | undefined,
    readonly acsStatus: number | undefined,
    details: { retryAfterSeconds?: number; field?: string } = {},
    cause?: unknown,
  ) {
    super(code, message, details, { cause });
  }
}

// Messages are ours, never ACS's text: ACS messages can echo input and are not written for our callers.
export function mapAcsError(operation: string, error: unknown, timeoutMs: number): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof AcsThrottledError) {
    return new AcsError(
      ErrorCode.ACS_THROTTLED,
      `Azure Communication Services is throttling requests; retry after ${error.retryAfterSeconds} seconds.`,
      "TooManyRequests",
      429,
      { retryAfterSeconds: error.retryAfterSeconds },
    );
  }
  const e = error as { name?: string; statusCode?: number; code?: string; message?: string };
  if (e.name === "AbortError" || e.name === "TimeoutError") {
    return new AcsError(
      ErrorCode.ACS_UNAVAILABLE,
      `Azure Communication Services did not answer within ${timeoutMs} ms.`,
      undefined,
      undefined,
      {},
      error,
    );
  }
  const status = e.statusCode;
  if (status === undefined) {
    const unreachable = e.code && NETWORK_CODES.has(e.code);
    return new AcsError(
      unreachable ? ErrorCode.ACS_UNAVAILABLE : ErrorCode.INTERNAL,
      unreachable
        ? "Azure Communication Services cannot be reached; try again shortly."
        : `ACS ${operation} failed.`,
      e.code,
      undefined,
      {},
      error,
    );
  }
  if (status === 404) {
    return new AcsError(
      ErrorCode.NOT_FOUND,
      "The identity no longer exists in Azure Communication Services.",
      e.code,
      status,
      {},
      error,
    );
  }
  if (status === 401 && e.code === "IdentityNotOwned") {
    return new AcsError(
      ErrorCode.NOT_FOUND,
      "The identity does not belong to this Azure Communication Services resource.",
      e.code,
      status,
      {},
      error,
    );
  }
  if (status === 408 || status >= 500) {
    // ACS's own Retry-After on a 5xx (e.g. 503) is passed on, and honoured locally (resilience.ts).
    const retryAfterSeconds = error instanceof AcsNotRetriedError ? error.retryAfterSeconds : undefined;
    return new AcsError(
      ErrorCode.ACS_UNAVAILABLE,
      retryAfterSeconds === undefined
        ? "Azure Communication Services is unavailable; try again shortly."
        : `Azure Communication Services is unavailable; retry after ${retryAfterSeconds} seconds.`,
      e.code,
      status,
      retryAfterSeconds === undefined ? {} : { retryAfterSeconds },
      error,
    );
  }
  if (status === 400) {
    return new AcsError(
      ErrorCode.BAD_USER_INPUT,
      "Azure Communication Services rejected the request as invalid.",
      e.code,
      status,
      {},
      error,
    );
  }
  // 401 Denied / 403: our credential is wrong. That is the operator's problem, not the caller's: INTERNAL.
  return new AcsError(ErrorCode.INTERNAL, `ACS ${operation} failed.`, e.code, status, {}, error);
}

/**
 * The Teams exchange's refusals are about the caller's input, not our credential: ACS answers 401
 * when the Teams token is not valid (bad, expired, from another tenant or issuer) and 400 when it
 * was not issued to that client or user. Both become BAD_USER_INPUT naming the field.
 */
export function mapTeamsExchangeError(error: AppError): AppError {
  const { acsStatus, acsCode } = error as Partial<AcsError>;
  if (acsStatus === 401 && acsCode !== "IdentityNotOwned")
    return new AcsError(
      ErrorCode.BAD_USER_INPUT,
      "The Teams token is not valid: it is malformed, expired, or not from a trusted Entra ID tenant.",
      acsCode,
      acsStatus,
      { field: "teamsToken" },
      error,
    );
  if (acsStatus === 400)
    return new AcsError(
      ErrorCode.BAD_USER_INPUT,
      "The Teams token was not issued to this clientId for this userObjectId.",
      acsCode,
      acsStatus,
      {},
      error,
    );
  return error;
}
