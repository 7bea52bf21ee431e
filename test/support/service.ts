// Starts the whole service over HTTP for end-to-end tests: in-process emulator, embedded database
// in memory (or the database given), development bearer tokens.
import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig, type AppConfig } from "../../src/config";
import { startService, type RunningService } from "../../src/server/start-service";
import { createLogger, type Logger } from "../../src/server/logger";
import { graphqlClient, type TestClient } from "./graphql-client";

export interface TestService extends RunningService {
  config: AppConfig;
  tokenFor(subject: string, roles: string[], ttlSeconds?: number): Promise<string>;
  as(subject: string, roles: string[]): Promise<TestClient>;
  anonymous(): TestClient;
  stop(): Promise<void>;
}

export async function startTestService(
  env: Record<string, string> = {},
  options: { database?: AppConfig["database"]; dataDir?: string; logger?: Logger } = {},
): Promise<TestService> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "acs-identity-graph-"));
  const config = loadConfig({ NODE_ENV: "test", PORT: "0", DATA_DIR: dataDir, LOG_LEVEL: "silent", ...env });
  config.database = options.database ?? { kind: "embedded", dir: "memory://" };
  const service = await startService(config, {
    logger: options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
  });
  const tokenFor = (subject: string, roles: string[], ttlSeconds = 600) => {
    if (!service.devIssuer) throw new Error("development tokens are off in this configuration");
    return service.devIssuer.sign({ sub: subject, roles, ttlSeconds });
  };
  return {
    ...service,
    config,
    tokenFor,
    async as(subject, roles) {
      return graphqlClient(service.graphqlUrl, await tokenFor(subject, roles));
    },
    anonymous: () => graphqlClient(service.graphqlUrl),
    async stop() {
      await service.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
