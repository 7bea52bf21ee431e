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
import { createRateLimiter } from "../ratelimit";
import { openStore, type Store } from "../store";
import { createTokenCache } from "../tokencache";
import { createApolloServer } from "./apollo";
import { authenticateRequest, jsonBody } from "./authenticate";
import { bodyErrorHandler } from "./body-errors";
import { clientAddress } from "./client-address";
import { createContextFactory } from "./context";
import { corsAllowlist, STUDIO_ORIGINS } from "./cors";
import { createDrain, type DrainResult } from "./drain";
import { apolloHandler, graphqlRoute } from "./graphql-route";
import { healthRoutes } from "./health";
import { createIdentityService, resilientAcs } from "./identity-core";
import { createHttpServer } from "./http-server";
import { indexRoutes } from "./index-routes";
import { createLogger, type Logger } from "./logger";
import { createMetrics, type Metrics } from "./metrics";
import { startOpsServer } from "./ops-server";
import { makeDataDirPrivate } from "./private-data-dir";
import { maxTokensMiddleware } from "./query-limits";
import { startReconciler } from "./reconciler-schedule";
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
  metrics: Metrics;
  /** The operators' port (/metrics, /readyz/detail), when OPS_PORT is set. */
  opsUrl: string | undefined;
  /** SIGTERM's first step: fail readiness, wait the grace, refuse new requests, finish in-flight ones. */
  drain(): Promise<DrainResult>;
  /** Ends the drain's grace at once (a second signal). */
  skipGrace(): void;
  close(): Promise<void>;
}

/**
 * Runs the reconciler once now (in the background: start-up does not wait on ACS) and then every
 * RECONCILE_INTERVAL_SECONDS. Returns the cleanup that stops it and waits for a pass in flight.
 */
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
    const metrics = createMetrics();
    const acsLimits = { timeoutMs: config.acs.timeoutMs, maxRetries: config.acs.maxRetries };
    const sdkBackend =
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
    const acs = resilientAcs(sdkBackend, config, metrics);

    const store = await openStore(config.database);
    cleanups.push(["database", () => store.close()]);
    // Again, for the files PGlite has just created (it gives them mode 0666 whatever the umask).
    securePrivateData();
    const limiter = createRateLimiter(config, logger, metrics.rateLimitRefused);
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
    const identities = createIdentityService(config, { acs, store, limiter, tokenCache, metrics });
    cleanups.push(["audit trail", () => identities.operations.flushAudit()]);
    cleanups.push(["reconciler", startReconciler(identities, config, logger, metrics)]);
    if (identities.tokenReuse) watchTokenReuse(metrics.registry, identities.tokenReuse.stats);

    const trusted = config.http.trustedDocumentsFile
      ? loadTrustedDocuments(config.http.trustedDocumentsFile)
      : undefined;
    if (trusted) logger.info({ documents: trusted.size }, "running only trusted documents");
    const { app, httpServer, serveGraphql } = createHttpServer(config);
    const apollo = await createApolloServer(config, { httpServer, logger, metrics });
    await apollo.start();
    cleanups.push(["graphql server", () => apollo.stop()]);

    const drain = createDrain([httpServer], { ...config.drain, logger });
    app.use(requestId);
    app.use(drain.middleware);
    const health = healthRoutes({
      // The database is this replica's own (its pool, or its embedded folder): gating. Redis is shared
      // by every replica: reported, not gating (callers get SERVICE_UNAVAILABLE with a retry time).
      checks: {
        database: { run: () => store.ping(), gating: true },
        rateLimiter: { run: () => limiter.ping(), gating: false },
      },
      acs: acs.health,
      draining: drain.draining,
      logger,
      metrics,
    });
    app.use(health.publicRoutes);
    let opsUrl: string | undefined;
    if (config.ops) {
      const ops = await startOpsServer([health.publicRoutes, health.opsRoutes], config.ops);
      cleanups.push(["ops server", () => ops.close()]);
      opsUrl = ops.url;
    } else {
      app.use(health.opsRoutes);
    }
    const bodyErrors = bodyErrorHandler({ ...config.http, logger });
    serveGraphql(
      graphqlRoute(
        [
          requestId,
          drain.middleware,
          corsAllowlist([...config.http.corsOrigins, ...(config.http.corsAllowStudio ? STUDIO_ORIGINS : [])]),
          authenticateRequest({
            verifier,
            logger,
            keyOutageRetryAfterSeconds: config.auth.jwksCooldownSeconds,
          }),
          jsonBody(config.http),
          ...(trusted ? [trustedDocumentsOnly(trusted, logger)] : []),
          maxTokensMiddleware(config.http.maxTokens, (_req, res) =>
            logger.info(
              { requestId: res.locals.requestId, code: "GRAPHQL_VALIDATION_FAILED", limit: "tokens" },
              "graphql",
            ),
          ),
          apolloHandler(
            apollo,
            createContextFactory({
              policy,
              identities,
              clientAddress: clientAddress(config.http.trustProxy),
            }),
            logger,
          ),
        ],
        bodyErrors,
      ),
    );
    app.use(bodyErrors);

    app.use(indexRoutes()); // `/` and unknown paths (JSON, not Express's HTML 404): after every other route
    await new Promise<void>((resolve, reject) => {
      httpServer.once("error", reject);
      httpServer.listen(config.port, config.host, resolve);
    });
    const { port } = httpServer.address() as AddressInfo;
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    return {
      url,
      graphqlUrl: `${url}/graphql`,
      emulator,
      devIssuer,
      store,
      logger,
      metrics,
      opsUrl,
      drain: drain.drain,
      skipGrace: drain.skipGrace,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
