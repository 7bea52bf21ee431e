import type { ApolloServerPlugin, GraphQLResponse } from "@apollo/server";
import { stdSerializers } from "pino";
import { AppError, ErrorCode } from "../errors";
import type { GraphQLContext } from "../schema/context";
import { isExpectedError, rootCause } from "./format-error";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";

/**
 * Logs each operation's outcome (never variables or results: they hold tokens) and counts it, and
 * sets the Retry-After header on responses that tell the caller to come back later.
 */
export function requestLoggingPlugin(logger: Logger, metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      // The request id is a field of each line, not a child logger's binding: a child per request
      // cost a bindings walk and serialization on every request, most of which log one line.
      const { requestId } = contextValue;
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            if (isExpectedError(error)) continue;
            const original = rootCause(error);
            // An Error's message and stack are not enumerable: a cause logged as a plain property
            // would show as {} (e.g. why Redis or the database failed), so it is serialized as an error.
            const cause = original instanceof AppError ? original.cause : undefined;
            logger.error(
              {
                requestId,
                err:
                  original instanceof AppError
                    ? {
                        code: original.code,
                        cause: cause instanceof Error ? stdSerializers.err(cause) : cause,
                      }
                    : original,
              },
              "operation failed",
            );
          }
        },
        async willSendResponse({ operation, errors, response }) {
          setRetryAfter(response);
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          // The code the caller was told (formatError allows only stable codes): a raw error's own
          // `code` (a database SQLSTATE, a Node errno) must never become a metrics label.
          const told = response.body.kind === "single" ? response.body.singleResult.errors?.[0] : undefined;
          const code = errors?.length ? String(told?.extensions?.code ?? ErrorCode.INTERNAL) : "OK";
          const type = operation?.operation ?? "unknown";
          metrics.observeOperation(type, code, seconds);
          logger.info(
            {
              requestId,
              operation: type,
              subject: contextValue.caller?.subject ?? null,
              code,
              ms: Math.round(seconds * 1000),
            },
            "graphql",
          );
        },
      };
    },
  };
}

/** The codes that tell the caller to come back later, with `extensions.retryAfterSeconds`. */
const RETRY_LATER: ReadonlySet<unknown> = new Set([
  ErrorCode.RATE_LIMITED,
  ErrorCode.ACS_THROTTLED,
  ErrorCode.ACS_UNAVAILABLE,
  ErrorCode.SERVICE_UNAVAILABLE,
]);

/**
 * Mirrors `retryAfterSeconds` in the HTTP `Retry-After` header (the longest wait when several errors
 * carry one), so that HTTP clients, proxies and retry middleware that never read the GraphQL body back
 * off too. Reads the formatted errors: they hold exactly what the caller is told.
 */
function setRetryAfter(response: GraphQLResponse): void {
  if (response.body.kind !== "single") return;
  const waits = (response.body.singleResult.errors ?? [])
    .filter((error) => RETRY_LATER.has(error.extensions?.code))
    .map((error) => Number(error.extensions?.retryAfterSeconds))
    .filter((seconds) => Number.isFinite(seconds) && seconds > 0);
  // Retry-After takes whole seconds.
  if (waits.length) response.http.headers.set("retry-after", String(Math.ceil(Math.max(...waits))));
}
