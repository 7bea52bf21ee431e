import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createAcsBackend, entraClient, trustPolicies } from "../acs";
import { createBearerVerifier, loadOrCreateDevIssuer, loadPolicy, type DevIssuer } from "../auth";
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
import { indexRoutes } from "./index-routes";
import { createLogger, type Logger } from "./logger";
import { createMetrics } from "./metrics";
import { makeDataDirPrivate } from "./private-data-dir";
import { maxTokensMiddleware } from "./query-limits";
import { requestId } from "./request-id";
import { watchTokenReuse } from "./token-reuse-metrics";
import { loadTrustedDocuments, trustedDocumentsOnly } from "./trusted-documents";

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
    // The data folder is private to the service's user, or the service does not start (see the module).
    const usesDataDir =
      config.acs.kind === "emulator" || config.database.kind === "embedded" || config.auth.devTokens;
    const securePrivateData = () => {
      if (!usesDataDir) return;
      const { tightened } = makeDataDirPrivate(config.dataDir);
      if (tightened) logger.warn({ dataDir: config.dataDir, tightened }, "made the data folder private");
    };
    securePrivateData();

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
    // Again, for the files PGlite has just created (it gives them mode 0666 whatever the umask).
    securePrivateData();
    const limiter = createRateLimiter(config, logger);
    cleanups.push(["rate limiter", () => limiter.close()]);

    const devIssuer = config.auth.devTokens ? await loadOrCreateDevIssuer(config.dataDir) : undefined;
    const verifier = createBearerVerifier(config.auth, devIssuer);
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
      denialWindowMs: config.auditDenialWindowSeconds * 1000,
    });
    cleanups.push(["audit trail", () => identities.flushAudit()]);
    const metrics = createMetrics();
    if (identities.tokenReuse) watchTokenReuse(metrics.registry, identities.tokenReuse.stats);

    const trusted = config.http.trustedDocumentsFile
      ? loadTrustedDocuments(config.http.trustedDocumentsFile)
      : undefined;
    if (trusted) logger.info({ documents: trusted.size }, "running only trusted documents");
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
      ...(trusted ? [trustedDocumentsOnly(trusted, logger)] : []),
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

    app.use(indexRoutes()); // `/` and unknown paths (JSON, not Express's HTML 404): after every other route
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
