import { ApolloServerErrorCode } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { AppError, ErrorCode } from "../errors";
import { isDatabaseUnavailable } from "../store";

/** How long a caller refused during a database outage is asked to wait (about one reconnect). */
export const DATABASE_OUTAGE_RETRY_SECONDS = 5;

// Apollo's own codes for requests that never reached a resolver (parse, validation, variable coercion,
// persisted queries): all of them but its internal error, which is masked like any other.
const APOLLO_CLIENT_CODES: ReadonlySet<string> = new Set(
  Object.values(ApolloServerErrorCode).filter((code) => code !== ApolloServerErrorCode.INTERNAL_SERVER_ERROR),
);

/** The error a resolver or the context function threw, beneath GraphQL's wrapping. */
export function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}

// graphql-js appends "Did you mean ...?" to validation errors and to variable coercion errors (an
// unknown enum value or input field). Apollo's hideSchemaDetailsFromClientErrors strips only the
// former; this covers both.
const SUGGESTION = / ?Did you mean(.+?)\?$/;

/** `formatError`, and without schema hints in any message unless FIELD_SUGGESTIONS is on. */
export function createFormatError(options: { fieldSuggestions: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = formatError(formatted, error);
    return options.fieldSuggestions || !SUGGESTION.test(result.message)
      ? result
      : { ...result, message: result.message.replace(SUGGESTION, "") };
  };
}

/**
 * A refusal Apollo made before any resolver ran, without a code of its own but with a 4xx status: the
 * request was malformed (e.g. a persisted query whose sha256Hash does not match its text). Its message
 * is Apollo's fixed text, safe to show.
 */
function isUncodedClientError(error: unknown): error is GraphQLError {
  if (!(error instanceof GraphQLError) || error.originalError || error.path) return false;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return error.extensions.code === undefined && typeof status === "number" && status >= 400 && status < 500;
}

/** Stable codes and actionable messages for callers; everything unexpected is masked. */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = rootCause(error);
  // A database outage is transient, not a bug: SERVICE_UNAVAILABLE, keeping our message when there is one.
  if (
    !(original instanceof AppError && original.code !== ErrorCode.INTERNAL) &&
    isDatabaseUnavailable(original)
  ) {
    return {
      message:
        original instanceof AppError
          ? original.message
          : "The database is unavailable right now, so nothing was done. Try again shortly.",
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds: DATABASE_OUTAGE_RETRY_SECONDS },
    };
  }
  if (original instanceof AppError) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: original.code, ...original.details },
    };
  }
  if (isUncodedClientError(error)) {
    return { message: formatted.message, extensions: { code: ErrorCode.BAD_USER_INPUT } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === "string" && APOLLO_CLIENT_CODES.has(code)) {
    // `limit` names the query limit a rejected operation hit (see query-limits.ts); nothing else passes.
    const limit = formatted.extensions?.limit;
    return { ...formatted, extensions: typeof limit === "string" ? { code, limit } : { code } };
  }
  // Logged with its request id by the error-logging plugin; the caller sees only the id's header name.
  return {
    message: "Internal error. Quote the x-request-id response header when reporting it.",
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL },
  };
}

/** True for errors the caller caused or expected; false for the ones worth an operator's look. */
export function isExpectedError(error: unknown): boolean {
  const original = rootCause(error);
  if (isDatabaseUnavailable(original)) return false; // an outage is worth an operator's look
  if (original instanceof AppError)
    return original.code !== ErrorCode.INTERNAL && original.code !== ErrorCode.SERVICE_UNAVAILABLE;
  if (isUncodedClientError(error)) return true;
  const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
  return typeof code === "string" && APOLLO_CLIENT_CODES.has(code);
}
