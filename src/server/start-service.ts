import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from "@apollo/server/plugin/landingPage/default";
import { ApolloServerPluginUsageReporting } from "@apollo/server/plugin/usageReporting";
import { expressMiddleware } from "@as-integrations/express5";
import { DefaultAzureCredential } from "@azure/identity";
import express from "express";
import { GraphQLError } from "graphql";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createAcsBackend } from "../acs";
import {
  createBearerVerifier,
  effectivePolicy,
  isKeySourceOutage,
  loadOrCreateDevIssuer,
  loadPolicy,
  type DevIssuer,
} from "../auth";
import type { AppConfig } from "../config";
import { startEmulator, type RunningEmulator } from "../emulator";
import { AppError } from "../errors";
import { IdentityService, type Caller } from "../identity";
import { createRateLimiter } from "../ratelimit";
import { buildFederatedSchema } from "../schema/build-schema";
import type { GraphQLContext } from "../schema/context";
import { createLoaders } from "../schema/loaders";
import { openStore, type Store } from "../store";
import { corsAllowlist, STUDIO_ORIGINS } from "./cors";
import { createFormatError } from "./format-error";
import { healthRoutes } from "./health";
import { createLogger, type Logger } from "./logger";
import { createMetrics } from "./metrics";
import { requestLoggingPlugin } from "./plugins";
import { trustedRouterTracePlugins } from "./trace-gate";
import { maxTokensMiddleware, queryLimitRules } from "./query-limits";
import { requestId } from "./request-id";

export interface RunningService {
  /** e.g. http://127.0.0.1:4000 */
  url: string;
  graphqlUrl: string;
  /** The in-process ACS emulator, when no real ACS is configured. */
  emulator: RunningEmulator | undefined;
  /** The local token issuer, when development tokens are accepted. */
  devIssuer: DevIssuer | undefined;
  store: Store;
  logger: Logger;
  close(): Promise<void>;
}

/** Starts everything the configuration asks for and serves GraphQL; `close` drains and releases it all. */
export async function startService(
  config: AppConfig,
  options: { logger?: Logger } = {},
): Promise<RunningService> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const cleanups: Array<[string, () => Promise<void>]> = [];
  const close = async () => {
    for (const [step, cleanup] of cleanups.reverse()) {
      logger.debug({ step }, "shutting down");
      await cleanup().catch((err) => logger.warn({ err, step }, "shutdown step failed"));
    }
  };
  try {
    const policy = loadPolicy(config.policyFile);

    let emulator: RunningEmulator | undefined;
    if (config.acs.kind === "emulator") {
      emulator = await startEmulator({ dataDir: path.join(config.dataDir, "emulator") });
      cleanups.push(["emulator", () => emulator!.close()]);
    }
    const acsLimits = { timeoutMs: config.acs.timeoutMs, maxRetries: config.acs.maxRetries };
    const acs =
      config.acs.kind === "entra"
        ? createAcsBackend({
            endpoint: config.acs.endpoint,
            credential: new DefaultAzureCredential(),
            ...acsLimits,
          })
        : createAcsBackend({
            connectionString:
              config.acs.kind === "emulator" ? emulator!.connectionString : config.acs.connectionString,
            ...acsLimits,
          });

    const store = await openStore(config.database);
    cleanups.push(["database", () => store.close()]);
    const limiter = createRateLimiter(config, logger);
    cleanups.push(["rate limiter", () => limiter.close()]);

    const devIssuer = config.auth.devTokens ? await loadOrCreateDevIssuer(config.dataDir) : undefined;
    const verifier = createBearerVerifier(config.auth, devIssuer);
    const identities = new IdentityService({ acs, store: store.identities, audit: store.audit, limiter });
    const metrics = createMetrics();

    const app = express();
    app.disable("x-powered-by");
    // Responses carry tokens: no validators derived from their bodies, no content sniffing.
    app.set("etag", false);
    app.use((_req, res, next) => {
      res.setHeader("x-content-type-options", "nosniff");
      next();
    });
    // req.ip is the client address only through proxies named by TRUST_PROXY.
    app.set("trust proxy", config.http.trustProxy);
    const { requestTimeoutMs, headersTimeoutMs } = config.http;
    const httpServer = http.createServer(
      {
        // Slow clients (slowloris: headers a byte at a time; or a body trickled in) are answered 408 and
        // cut off, so they cannot hold sockets open. Node checks these every connectionsCheckingInterval
        // ms (30 s by default), which would let a short timeout run far over.
        requestTimeout: requestTimeoutMs,
        // Headers are part of the request; Node refuses a headers timeout longer than the request's.
        headersTimeout: Math.min(headersTimeoutMs, requestTimeoutMs),
        connectionsCheckingInterval: Math.min(1_000, Math.ceil(headersTimeoutMs / 4)),
        // An idle keep-alive socket is closed after this; Node's default, stated so it is a decision.
        // Behind a load balancer that reuses connections, it must exceed the balancer's idle timeout.
        keepAliveTimeout: 5_000,
      },
      app,
    );
    const apollo = new ApolloServer<GraphQLContext>({
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
    await apollo.start();
    cleanups.push(["graphql server", () => apollo.stop()]);

    app.use(requestId);
    app.use(
      healthRoutes(
        { database: () => store.ping(), acs: () => acs.ping(), rateLimiter: () => limiter.ping() },
        metrics,
      ),
    );
    app.use(
      "/graphql",
      corsAllowlist([...config.http.corsOrigins, ...(config.http.corsAllowStudio ? STUDIO_ORIGINS : [])]),
      express.json({ limit: config.http.maxRequestBytes }),
      maxTokensMiddleware(config.http.maxTokens, (_req, res) =>
        logger.info(
          { requestId: res.locals.requestId, code: "GRAPHQL_VALIDATION_FAILED", limit: "tokens" },
          "graphql",
        ),
      ),
      expressMiddleware(apollo, {
        context: async ({ req, res }) => {
          let principal;
          try {
            principal = await verifier.authenticate(req.headers.authorization);
          } catch (error) {
            if (!(error instanceof AppError)) throw error;
            if (isKeySourceOutage(error)) {
              // Not the caller's fault: the issuer's keys could not be fetched, so every token fails closed.
              logger.warn({ requestId: res.locals.requestId, err: error.cause }, "issuer keys unavailable");
              res.setHeader("retry-after", String(config.auth.jwksCooldownSeconds));
              res.setHeader("www-authenticate", "Bearer");
            } else {
              res.setHeader("www-authenticate", 'Bearer error="invalid_token"');
            }
            throw new GraphQLError(error.message, {
              originalError: error,
              extensions: { code: error.code, http: { status: 401 } },
            });
          }
          const effective = effectivePolicy(policy, principal);
          const caller: Caller = {
            subject: principal.subject,
            effective,
            requestId: res.locals.requestId,
            clientAddress: req.ip ?? null,
          };
          return {
            requestId: res.locals.requestId,
            principal,
            effective,
            caller,
            identities,
            loaders: createLoaders(identities, caller),
          };
        },
      }),
    );

    // Body-parser failures (too large, malformed JSON) answer in GraphQL's error shape, never as
    // Express's HTML page with a stack trace.
    app.use(
      (
        error: { status?: number; type?: string },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
        if (status === 500) logger.error({ err: error }, "request failed");
        const message =
          status === 413
            ? `The request body is larger than ${config.http.maxRequestBytes} bytes.`
            : status === 500
              ? "Internal error."
              : "The request body is not valid JSON.";
        res
          .status(status)
          .json({ errors: [{ message, extensions: { code: status === 500 ? "INTERNAL" : "BAD_REQUEST" } }] });
      },
    );

    await new Promise<void>((resolve, reject) => {
      httpServer.once("error", reject);
      httpServer.listen(config.port, config.host, resolve);
    });
    const { port } = httpServer.address() as AddressInfo;
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    return { url, graphqlUrl: `${url}/graphql`, emulator, devIssuer, store, logger, close };
  } catch (error) {
    await close();
    throw error;
  }
}
