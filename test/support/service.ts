// Starts the whole service over HTTP for end-to-end tests: in-process emulator, embedded database
// (a copy of the run's migrated template in the service's own data folder, see database-template.ts;
// or the database given), development bearer tokens. Under jest every service also feeds
// the whole-suite secret sweep (secret-sweep.ts): trace logs to a file, the secrets it holds and
// issues recorded, its database dumped on stop.
import "reflect-metadata";
import { rmSync } from "node:fs";
import { loadConfig, type AppConfig } from "../../src/config";
import { startEmulator } from "../../src/emulator";
import { startService, type RunningService } from "../../src/server/start-service";
import { createLogger, type Logger } from "../../src/server/logger";
import { graphqlClient, type TestClient } from "./graphql-client";
import { startJwksServer } from "./jwks-server";
import { embeddedDatabaseFor } from "./database-template";
import { seedEmulatorSigningKey } from "./emulator-key";
import { scratchDir } from "./scratch";
import { accessKeyOf, captureService, devIssuerPrivateKey, recordSecret, urlPassword } from "./secret-sweep";

export interface TestService extends RunningService {
  config: AppConfig;
  tokenFor(subject: string, roles: string[], ttlSeconds?: number): Promise<string>;
  as(subject: string, roles: string[]): Promise<TestClient>;
  anonymous(): TestClient;
  /**
   * Closes the service's database while the service keeps running, to test how failures look. Its rows
   * are dumped for the secret sweep first (a closed database cannot be dumped at stop).
   */
  closeDatabaseOnPurpose(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestService(
  env: Record<string, string> = {},
  options: { database?: AppConfig["database"]; dataDir?: string; logger?: Logger } = {},
): Promise<TestService> {
  const dataDir = options.dataDir ?? scratchDir("acs-identity-graph-");
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    // The emulator runs in the test's own process: on a busy machine 50 parallel mints have waited
    // more than the 10 s default for it. Tests of the ACS timeout itself set their own.
    ACS_TIMEOUT_MS: "60000",
    ...env,
  });
  if (config.acs.kind === "emulator") seedEmulatorSigningKey(dataDir);
  config.database = options.database ?? {
    kind: "embedded",
    dir: (await embeddedDatabaseFor(dataDir)) ?? "memory://",
  };
  const capture = captureService(options.logger);
  let service: RunningService;
  try {
    service = await startService(config, {
      logger: capture?.logger ?? options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
    });
  } catch (error) {
    await capture?.finish({ failedToStart: true });
    throw error;
  }
  recordServiceSecrets(config, service);
  const tokenFor = async (subject: string, roles: string[], ttlSeconds = 600) => {
    if (!service.devIssuer) throw new Error("development tokens are off in this configuration");
    const token = await service.devIssuer.sign({ sub: subject, roles, ttlSeconds });
    recordSecret("bearer token", token);
    return token;
  };
  let stopping: Promise<void> | undefined;
  let databaseClosed = false;
  return {
    ...service,
    config,
    tokenFor,
    async as(subject, roles) {
      return graphqlClient(service.graphqlUrl, await tokenFor(subject, roles));
    },
    anonymous: () => graphqlClient(service.graphqlUrl),
    async closeDatabaseOnPurpose() {
      if (databaseClosed) return;
      databaseClosed = true;
      await capture?.dumpDatabase(service.store.db);
      await service.store.close();
    },
    stop: () =>
      (stopping ??= (async () => {
        if (!databaseClosed) await capture?.dumpDatabase(service.store.db);
        try {
          await service.close();
        } finally {
          await capture?.finish();
          if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
        }
      })()),
  };
}

// What this service holds that must never leak: the ACS access key (the emulator's or the configured
// one), credentials in database/Redis URLs, the Apollo key, the development issuer's private key.
function recordServiceSecrets(config: AppConfig, service: RunningService): void {
  recordSecret("emulator access key", service.emulator?.accessKey);
  recordSecret("emulator connection string", service.emulator?.connectionString);
  if (config.acs.kind === "connectionString") {
    recordSecret("ACS connection string", config.acs.connectionString);
    recordSecret("ACS access key", accessKeyOf(config.acs.connectionString));
  }
  if (config.acs.kind === "entra" && config.acs.credential.kind === "client-secret")
    recordSecret("Entra ID client secret", config.acs.credential.clientSecret);
  if (config.database.kind === "postgres")
    recordSecret("database password", urlPassword(config.database.url));
  recordSecret("Redis password", urlPassword(config.redisUrl));
  recordSecret("Apollo key", config.apollo?.key);
  recordSecret("federation trace secret", config.http.federationTraceSecret);
  for (const key of config.tokenReuse?.keys ?? []) recordSecret("token reuse key", key.toString("base64"));
  if (service.devIssuer) recordSecret("dev issuer private key", devIssuerPrivateKey(config.dataDir));
}

/**
 * The service as production runs it (NODE_ENV=production: no development tokens, no Sandbox, no
 * introspection unless asked), trusting a local issuer that publishes no keys, so no token verifies.
 */
export async function startProductionTestService(env: Record<string, string> = {}): Promise<TestService> {
  const issuer = await startJwksServer();
  // Production refuses the embedded emulator: the emulator runs beside it, as a real ACS resource would.
  const acs = await startEmulator();
  try {
    const service = await startTestService({
      NODE_ENV: "production",
      AUTH_ISSUER: issuer.url,
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTH_AUDIENCE: "api://acs-identity-graph",
      ACS_CONNECTION_STRING: acs.connectionString,
      ...env,
    });
    const stop = service.stop;
    return {
      ...service,
      stop: async () => Promise.all([stop(), issuer.stop(), acs.close()]).then(() => undefined),
    };
  } catch (error) {
    await Promise.all([issuer.stop(), acs.close()]);
    throw error;
  }
}
