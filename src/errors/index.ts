// The one place that defines the service's stable error codes (`extensions.code` in GraphQL).
// Domain code throws AppError; the server maps it to a GraphQL error and masks everything else as INTERNAL.

export const ErrorCode = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  NOT_FOUND: "NOT_FOUND",
  RATE_LIMITED: "RATE_LIMITED",
  ACS_THROTTLED: "ACS_THROTTLED",
  ACS_UNAVAILABLE: "ACS_UNAVAILABLE",
  /** Our own dependency (database, Redis) is out, or the process is draining: retry after retryAfterSeconds. */
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  /** A bug: never a transient condition (those are SERVICE_UNAVAILABLE, ACS_UNAVAILABLE, ...). */
  INTERNAL: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface AppErrorDetails {
  /** Seconds until the caller may retry (RATE_LIMITED, ACS_THROTTLED, ACS_UNAVAILABLE, SERVICE_UNAVAILABLE). */
  retryAfterSeconds?: number;
  /** The argument that was wrong (BAD_USER_INPUT). */
  field?: string;
}

/** A failure whose message is safe to show to the caller. Never put a secret in `message`. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: AppErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AppError";
  }
}

export const unauthenticated = (message = "A valid bearer token is required.") =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message: string) => new AppError(ErrorCode.FORBIDDEN, message);
export const badInput = (message: string, field?: string) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const notFound = (message: string) => new AppError(ErrorCode.NOT_FOUND, message);

/** A transient outage of a dependency of ours: a retry after `retryAfterSeconds` may succeed. */
export const serviceUnavailable = (message: string, retryAfterSeconds: number, cause?: unknown) =>
  new AppError(ErrorCode.SERVICE_UNAVAILABLE, message, { retryAfterSeconds }, { cause });
