// Starts the service from the environment. With nothing configured it runs on the embedded default:
// the in-process ACS emulator, the embedded database and development bearer tokens.
import "reflect-metadata";
import { ConfigError, loadConfig } from "./config";
import { startService } from "./server/start-service";

/** The drain limit cut off requests that had been accepted. */
const EXIT_CUT_OFF = 3;

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
  if (service.opsUrl) lines.push(`  ops:      ${service.opsUrl}/metrics, ${service.opsUrl}/readyz/detail`);
  if (service.devIssuer) lines.push(`  token:    npm run token -- --sub alice --roles user`);
  // The log's lines (the warnings above) are already written: its writes are synchronous.
  process.stdout.write(`${lines.join("\n")}\n`);

  // Drain (see src/server/drain.ts), then close the pools. Exit codes: 0 every accepted request
  // finished; 3 the drain limit cut some off (each one is logged); 1 shutting down failed.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal (Ctrl-C twice): skip the rest of the grace; in-flight requests still finish.
      service.skipGrace();
      return;
    }
    stopping = true;
    service.logger.info({ signal }, "draining and shutting down");
    service
      .drain()
      .then(async ({ cutOff }) => {
        await service.close();
        process.exit(cutOff > 0 ? EXIT_CUT_OFF : 0);
      })
      .catch((err: unknown) => {
        service.logger.error({ err }, "shutdown failed");
        process.exit(1);
      });
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
