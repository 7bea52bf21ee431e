import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createAcsBackend, entraClient, trustPolicies } from "../acs";
import {
  createBearerVerifier,
  DEFAULT_VERIFIED_CACHE,
  loadOrCreateDevIssuer,
  loadPolicy,
  withVerifiedCache,
  type DevIssuer,
} from "../auth";
import type { AppConfig } from "../config";
import { startEmulator, type RunningEmulator } from "../emulator";
import { IdentityService } from "../identity";
import { createRateLimiter } from "../ratelimit";
import { openStore, type Store } from "../store";
import { createTokenCache } from "../tokencache";
import { createApolloServer } from "./apollo";
import { bodyErrorHandler } from "./body-errors";
import { createContextFactory } from "./context";
import { corsAllowlist, STUDIO_ORIGINS } from "./cors";
import { healthRoutes } from "./health";
import { createHttpServer } from "./http-server";
import { createLogger, type Logger } from "./logger";
import { createMetrics } from "./metrics";
import { maxTokensMiddleware } from "./query-limits";
import { requestId } from "./request-id";
import { watchTokenReuse } from "./token-reuse-metrics";

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
      emulator = await startEmulator({
        dataDir: path.join(config.dataDir, "emulator"),
        teams: config.emulatorTeams,
      });
      cleanups.push(["emulator", () => emulator!.close()]);
    }
    const acsLimits = { timeoutMs: config.acs.timeoutMs, maxRetries: config.acs.maxRetries };
    const acs =
      config.acs.kind === "entra"
        ? createAcsBackend({
            endpoint: config.acs.endpoint,
            ...entraClient(config.acs.credential),
            ...acsLimits,
          })
        : createAcsBackend({
            connectionString:
              config.acs.kind === "emulator" ? emulator!.connectionString : config.acs.connectionString,
            additionalPolicies: trustPolicies(config.acs.caFile),
            ...acsLimits,
          });

    const store = await openStore(config.database);
    cleanups.push(["database", () => store.close()]);
    const limiter = createRateLimiter(config, logger);
    cleanups.push(["rate limiter", () => limiter.close()]);

    const devIssuer = config.auth.devTokens ? await loadOrCreateDevIssuer(config.dataDir) : undefined;
    const verifier = withVerifiedCache(createBearerVerifier(config.auth, devIssuer), {
      ...DEFAULT_VERIFIED_CACHE,
      maxHeaderLength: "Bearer ".length + config.auth.maxTokenBytes,
    });
    const tokenCache = config.tokenReuse
      ? createTokenCache({
          keys: config.tokenReuse.keys,
          redisUrl: config.redisUrl,
          keyPrefix: config.rateLimitKeyPrefix,
        })
      : undefined;
    if (tokenCache) cleanups.push(["token cache", () => tokenCache.close()]);
    const identities = new IdentityService({
      acs,
      store: store.identities,
      audit: store.audit,
      limiter,
      tokenReuse: tokenCache && config.tokenReuse && { cache: tokenCache, settings: config.tokenReuse },
    });
    const metrics = createMetrics();
    if (identities.tokenReuse) watchTokenReuse(metrics.registry, identities.tokenReuse.stats);

    const { app, httpServer } = createHttpServer(config);
    const apollo = await createApolloServer(config, { httpServer, logger, metrics });
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
        context: createContextFactory({
          verifier,
          policy,
          identities,
          logger,
          keyOutageRetryAfterSeconds: config.auth.jwksCooldownSeconds,
        }),
      }),
    );

    app.use(bodyErrorHandler({ maxRequestBytes: config.http.maxRequestBytes, logger }));

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
