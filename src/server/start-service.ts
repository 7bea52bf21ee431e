import { expressMiddleware } from "@as-integrations/express5";
import { DefaultAzureCredential } from "@azure/identity";
import express from "express";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createAcsBackend } from "../acs";
import { createBearerVerifier, loadOrCreateDevIssuer, loadPolicy, type DevIssuer } from "../auth";
import type { AppConfig } from "../config";
import { startEmulator, type RunningEmulator } from "../emulator";
import { IdentityService } from "../identity";
import { createRateLimiter } from "../ratelimit";
import { openStore, type Store } from "../store";
import { createApolloServer } from "./apollo";
import { bodyErrorHandler } from "./body-errors";
import { consistencyMetrics } from "./consistency-metrics";
import { createContextFactory } from "./context";
import { corsAllowlist, STUDIO_ORIGINS } from "./cors";
import { healthRoutes } from "./health";
import { createHttpServer } from "./http-server";
import { createLogger, type Logger } from "./logger";
import { createMetrics } from "./metrics";
import { maxTokensMiddleware } from "./query-limits";
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

/**
 * Runs the reconciler once now (in the background: start-up does not wait on ACS) and then every
 * RECONCILE_INTERVAL_SECONDS. Returns the cleanup that stops it and waits for a pass in flight.
 */
function startReconciler(identities: IdentityService, config: AppConfig, logger: Logger) {
  let pass: Promise<unknown> = Promise.resolve();
  const run = () => {
    pass = identities.reconciler.run().then(
      (report) => {
        const changed = report.completedDeletes + report.recordedCreates + report.discardedCreates;
        if (changed || report.failures || report.unresolvedCreates)
          logger.warn({ reconcile: report }, "reconciler finished work that failures left half done");
      },
      (err: unknown) => logger.warn({ err }, "reconciler pass failed; the next one retries"),
    );
  };
  run();
  const seconds = config.consistency.reconcileIntervalSeconds;
  const timer = seconds > 0 ? setInterval(run, seconds * 1000).unref() : undefined;
  return async () => {
    clearInterval(timer);
    await pass;
  };
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
    const metrics = createMetrics();
    const identities = new IdentityService({
      acs,
      store: store.identities,
      creations: store.creations,
      audit: store.audit,
      limiter,
      provisioning: {
        repeatSafe: config.acs.customId,
        // A request's create is its own for the ACS timeout and a margin; then others may resume it.
        leaseMs: config.acs.timeoutMs + 5_000,
        ownerWaitMs: config.consistency.ownerCreateWaitMs,
        ...consistencyMetrics(metrics.registry, () => store.creations.countUnknown()),
      },
    });
    cleanups.push(["reconciler", startReconciler(identities, config, logger)]);

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
