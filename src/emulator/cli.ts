// `npm run emulator -- [--port 8089] [--data-dir .data/emulator]`: runs the emulator standalone and
// prints its connection string as the first line of stdout.
import { parseArgs } from "node:util";
import { startEmulator } from "./index";

export const DEFAULT_PORT = 8089;

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      "data-dir": { type: "string" },
      host: { type: "string" },
      "teams-issuer": { type: "string" },
      "teams-jwks-url": { type: "string" },
    },
  });
  const port = Number(values.port ?? process.env.ACS_EMULATOR_PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("--port must be 0..65535");
  const teamsIssuer = values["teams-issuer"] ?? process.env.ACS_EMULATOR_TEAMS_ISSUER;
  const emulator = await startEmulator({
    port,
    host: values.host ?? "127.0.0.1",
    dataDir: values["data-dir"] ?? process.env.ACS_EMULATOR_DATA_DIR ?? ".data/emulator",
    teams: teamsIssuer
      ? { issuer: teamsIssuer, jwksUrl: values["teams-jwks-url"] ?? process.env.ACS_EMULATOR_TEAMS_JWKS_URL }
      : undefined,
  });
  process.stdout.write(`${emulator.connectionString}\n`);
  process.stderr.write(
    `ACS Identity emulator on ${emulator.endpoint} (resource ${emulator.resourceId}). ` +
      `Use the connection string above with { allowInsecureConnection: true }. Ctrl-C stops it.\n`,
  );
  const stop = () =>
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `emulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
