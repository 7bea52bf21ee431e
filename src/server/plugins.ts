import type { ApolloServerPlugin } from "@apollo/server";
import { AppError } from "../errors";
import type { GraphQLContext } from "../schema/context";
import { isExpectedError, rootCause } from "./format-error";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";

/** Logs each operation's outcome (never variables or results: they hold tokens) and counts it. */
export function requestLoggingPlugin(logger: Logger, metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      const log = logger.child({ requestId: contextValue.requestId });
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            if (isExpectedError(error)) continue;
            const original = rootCause(error);
            log.error(
              {
                err: original instanceof AppError ? { code: original.code, cause: original.cause } : original,
              },
              "operation failed",
            );
          }
        },
        async willSendResponse({ operation, errors }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const code = errors?.length
            ? String((rootCause(errors[0]) as AppError).code ?? errors[0].extensions?.code ?? "INTERNAL")
            : "OK";
          const type = operation?.operation ?? "unknown";
          metrics.observeOperation(type, code, seconds);
          log.info(
            {
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
