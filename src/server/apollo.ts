// Apollo Server with this service's options: masked errors, query limits, CSRF prevention, no batching,
// the landing page for the environment, and usage reporting that never sends variables or headers.
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from "@apollo/server/plugin/landingPage/default";
import { ApolloServerPluginUsageReporting } from "@apollo/server/plugin/usageReporting";
import type http from "node:http";
import type { AppConfig } from "../config";
import { buildFederatedSchema } from "../schema/build-schema";
import type { GraphQLContext } from "../schema/context";
import { createFormatError } from "./format-error";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";
import { requestLoggingPlugin } from "./plugins";
import { trustedRouterTracePlugins } from "./trace-gate";
import { queryLimitRules } from "./query-limits";

export async function createApolloServer(
  config: AppConfig,
  { httpServer, logger, metrics }: { httpServer: http.Server; logger: Logger; metrics: Metrics },
): Promise<ApolloServer<GraphQLContext>> {
  return new ApolloServer<GraphQLContext>({
    schema: await buildFederatedSchema({ maxRepresentations: config.http.maxEntityRepresentations }),
    // Apollo's own defaults follow this, not process.env.NODE_ENV (config is the only reader).
    nodeEnv: config.nodeEnv,
    formatError: createFormatError({ fieldSuggestions: config.http.fieldSuggestions }),
    logger,
    introspection: config.http.introspection,
    // "Did you mean ...?" in validation errors reveals field names even with introspection off.
    hideSchemaDetailsFromClientErrors: !config.http.fieldSuggestions,
    // Never, in any NODE_ENV (Apollo's default includes them outside production and test).
    includeStacktraceInErrorResponses: false,
    // Stated although they are Apollo's defaults: both are load-bearing. Simple (form-like) requests
    // cannot run operations; a JSON array of operations is refused, so one request is one operation
    // (and so, with the one-mint rule, at most one mint).
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // A backstop for the token limit, which maxTokensMiddleware enforces first with a clearer error.
    parseOptions: { maxLexicalTokens: config.http.maxTokens },
    // main.ts owns SIGINT/SIGTERM: it drains Apollo and then closes the pools, in that order.
    stopOnTerminationSignals: false,
    validationRules: queryLimitRules({
      maxDepth: config.http.maxQueryDepth,
      maxAliases: config.http.maxAliases,
      maxRootFields: config.http.maxRootFields,
      maxDirectives: config.http.maxDirectives,
      maxCost: config.http.maxCost,
      introspection: config.http.introspection,
    }),
    apollo: config.apollo,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No response is cacheable (createHttpServer sends cache-control: no-store on every answer), and
      // the default cache-control plugin's hook on every resolved field cost CPU on every request.
      ApolloServerPluginCacheControlDisabled(),
      requestLoggingPlugin(logger, metrics),
      ...trustedRouterTracePlugins<GraphQLContext>(config.http.federationTraceSecret),
      config.isProduction
        ? ApolloServerPluginLandingPageProductionDefault({
            graphRef: config.apollo?.graphRef,
            footer: false,
          })
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      ...(config.apollo
        ? [
            // Never variables or headers: they carry bearer tokens and the tokens we mint.
            ApolloServerPluginUsageReporting<GraphQLContext>({
              sendVariableValues: { none: true },
              sendHeaders: { none: true },
            }),
          ]
        : []),
    ],
  });
}
