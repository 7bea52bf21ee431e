// `npm run --silent emulator -- [--port 8089] [--data-dir .data/emulator]`: runs the emulator standalone
// and prints its connection string as the first line of stdout (scripts read it from there; without
// --silent, npm prints its own banner to stdout first).
import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateCertificate, startEmulator, type TlsCertificate } from "./index";

export const DEFAULT_PORT = 8089;
export const DEFAULT_DATA_DIR = ".data/emulator";

const HELP = `Usage: npm run --silent emulator -- [options]
       node dist/src/emulator/cli.js [options]   (the same, once built)

  --port N                 listen port; 0 = any free port (env ACS_EMULATOR_PORT, default ${DEFAULT_PORT})
  --host ADDR              listen address (default 127.0.0.1)
  --data-dir DIR           state folder (env ACS_EMULATOR_DATA_DIR, default ${DEFAULT_DATA_DIR})
  --resource-id GUID       resource id for a new data folder (env ACS_EMULATOR_RESOURCE_ID)
  --clock-skew-seconds N   x-ms-date tolerance (env ACS_EMULATOR_CLOCK_SKEW_SECONDS, default 900)
  --teams-issuer URL       Entra ID issuer for the Teams exchange (env ACS_EMULATOR_TEAMS_ISSUER)
  --teams-jwks-url URL     its JWKS (env ACS_EMULATOR_TEAMS_JWKS_URL; default: OIDC discovery)
  --teams-audience AUD     required aud of Teams tokens (env ACS_EMULATOR_TEAMS_AUDIENCE)
  --https                  serve HTTPS with a certificate generated once into DIR/tls (env ACS_EMULATOR_HTTPS=true)
  --entra-issuer URL       accept Entra ID bearer tokens from this issuer; needs --https (env ACS_EMULATOR_ENTRA_ISSUER)
  --entra-jwks-url URL     its JWKS (env ACS_EMULATOR_ENTRA_JWKS_URL; default: OIDC discovery)
  --entra-ca-file FILE     PEM CA to trust for the issuer's documents (env ACS_EMULATOR_ENTRA_CA_FILE)
The access key comes from env ACS_EMULATOR_ACCESS_KEY, else the data folder, else a new random one.
`;

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      "resource-id": { type: "string" },
      "clock-skew-seconds": { type: "string" },
      "teams-issuer": { type: "string" },
      "teams-jwks-url": { type: "string" },
      "teams-audience": { type: "string" },
      https: { type: "boolean" },
      "entra-issuer": { type: "string" },
      "entra-jwks-url": { type: "string" },
      "entra-ca-file": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const env = process.env;
  const port = Number(values.port ?? env.ACS_EMULATOR_PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("--port must be 0..65535");
  const skew = values["clock-skew-seconds"] ?? env.ACS_EMULATOR_CLOCK_SKEW_SECONDS;
  const teamsIssuer = values["teams-issuer"] ?? env.ACS_EMULATOR_TEAMS_ISSUER;
  const dataDir = values["data-dir"] ?? env.ACS_EMULATOR_DATA_DIR ?? DEFAULT_DATA_DIR;
  const tls = values.https || env.ACS_EMULATOR_HTTPS === "true" ? await keptCertificate(dataDir) : undefined;
  const entraIssuer = values["entra-issuer"] ?? env.ACS_EMULATOR_ENTRA_ISSUER;
  const entraCaFile = values["entra-ca-file"] ?? env.ACS_EMULATOR_ENTRA_CA_FILE;
  const emulator = await startEmulator({
    port,
    host: values.host ?? "127.0.0.1",
    dataDir,
    https: tls?.certificate,
    entra: entraIssuer
      ? {
          issuer: entraIssuer,
          jwksUrl: values["entra-jwks-url"] ?? env.ACS_EMULATOR_ENTRA_JWKS_URL,
          ca: entraCaFile ? readFileSync(entraCaFile, "utf8") : undefined,
        }
      : undefined,
    resourceId: values["resource-id"] ?? env.ACS_EMULATOR_RESOURCE_ID,
    accessKey: env.ACS_EMULATOR_ACCESS_KEY || undefined, // not a flag: argv is visible to other users
    clockSkewSeconds: skew === undefined ? undefined : Number(skew),
    teams: teamsIssuer
      ? {
          issuer: teamsIssuer,
          jwksUrl: values["teams-jwks-url"] ?? env.ACS_EMULATOR_TEAMS_JWKS_URL,
          audience: values["teams-audience"] ?? env.ACS_EMULATOR_TEAMS_AUDIENCE,
        }
      : undefined,
  });
  // The one place the access key is printed: the user asked for the connection string.
  process.stdout.write(`${emulator.connectionString}\n`);
  process.stderr.write(
    `ACS Identity emulator on ${emulator.endpoint} (resource ${emulator.resourceId}). ` +
      (tls
        ? `Trust its certificate ${tls.certFile} (ACS_CA_FILE or NODE_EXTRA_CA_CERTS). `
        : `Use the connection string above with { allowInsecureConnection: true }. `) +
      `Ctrl-C stops it.\n`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** The emulator's certificate, generated on first use and kept in the data folder (clients trust that file). */
async function keptCertificate(dataDir: string): Promise<{ certificate: TlsCertificate; certFile: string }> {
  const dir = path.join(dataDir, "tls");
  const certFile = path.resolve(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  if (existsSync(certFile) && existsSync(keyFile)) {
    const kept = { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
    // A day's margin, so that a running emulator does not see its certificate expire under it.
    if (Date.parse(new X509Certificate(kept.cert).validTo) > Date.now() + 24 * 60 * 60 * 1000)
      return { certificate: kept, certFile };
  }
  const certificate = await generateCertificate(undefined, 365);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, certificate.key, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(certFile, certificate.cert);
  return { certificate, certFile };
}

main().catch((error: unknown) => {
  process.stderr.write(
    `emulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
