// Starts the service from the environment. With nothing configured it runs on the embedded default:
// the in-process ACS emulator, the embedded database and development bearer tokens.
import "reflect-metadata";
import { ConfigError, loadConfig } from "./config";
import { startService } from "./server/start-service";

async function main(): Promise<void> {
  const config = loadConfig();
  const service = await startService(config);
  for (const warning of config.warnings) service.logger.warn(warning);
  const acs = service.emulator
    ? `embedded ACS emulator at ${service.emulator.endpoint}`
    : `ACS (${config.acs.kind})`;
  const database =
    config.database.kind === "embedded" ? `embedded database in ${config.database.dir}` : "PostgreSQL";
  const lines = [
    `acs-identity-graph ready: ${service.graphqlUrl}`,
    `  backend:  ${acs}`,
    `  data:     ${database}; other state in ${config.dataDir}`,
    `  limits:   ${config.redisUrl ? "shared in Redis" : "in memory"}`,
  ];
  if (service.devIssuer) lines.push(`  token:    npm run token -- --sub alice --roles user`);
  process.stdout.write(`${lines.join("\n")}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.logger.info({ signal }, "draining and shutting down");
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `acs-identity-graph failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
