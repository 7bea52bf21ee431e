// A local ACS Identity service that the real @azure/communication-identity SDK cannot tell from
// Azure: HMAC-verified, validating, persistent, with revocation that means something and faults on
// demand. It imports nothing else of src/ (it stands alone, like the remote service it stands in for).
import type { AddressInfo } from "node:net";
import type { TlsCertificate } from "./certificate";
import { createEntraVerifier, type EntraSettings } from "./entra";
import { FaultController, type FaultOptions, type FaultRule } from "./faults";
import type { AcsContext } from "./routes";
import { createEmulatorServer } from "./server";
import { EmulatorState, loadResourceSettings } from "./state";
import { createTeamsVerifier, GUID, type TeamsSettings } from "./teams";
import { TokenSigner } from "./tokens";
import type { TokenValidity } from "./validity";

export type { EntraSettings, FaultOptions, FaultRule, TeamsSettings, TlsCertificate, TokenValidity };
export { ACS_AUDIENCES } from "./entra";

/** A self-signed certificate for `hosts` (see certificate.ts). */
export async function generateCertificate(hosts?: string[], days?: number): Promise<TlsCertificate> {
  // Loaded on first use: @peculiar/x509 takes a quarter of a second to load, and most starts (every
  // in-process emulator of `npm start`) serve plain HTTP.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { generateCertificate: generate } = require("./certificate") as typeof import("./certificate");
  return generate(hosts, days);
}

export interface EmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Base64 access key; default: the one kept in dataDir, or a new random one. */
  accessKey?: string;
  /** The resource's GUID (the middle of every identity id); default: kept in dataDir, or random. */
  resourceId?: string;
  /** Keep identities, revocations, keys across restarts here; without it, memory only. */
  dataDir?: string;
  /** Where Teams users' tokens come from, for the Teams token exchange. */
  teams?: TeamsSettings;
  /**
   * Allowed difference between x-ms-date and the emulator's clock, in seconds. Default 900. Keep it
   * above the SDK's retry window (up to ~64 s of backoff plus any Retry-After): retries resend the
   * original date.
   */
  clockSkewSeconds?: number;
  /**
   * Serve HTTPS: `true` generates a self-signed certificate for localhost, 127.0.0.1 and ::1 (see
   * `certificate` on the running emulator), or give one. The SDK sends Entra ID tokens only over HTTPS.
   */
  https?: boolean | TlsCertificate;
  /** Accept Entra ID bearer tokens from this issuer besides HMAC signatures (needs `https`). */
  entra?: EntraSettings;
}

export interface EmulatorStats {
  /** ACS API requests received (each SDK retry counts). */
  requests: number;
  /** Requests that carried an Entra ID bearer token, accepted and refused. */
  bearerAccepted: number;
  bearerRefused: number;
  identitiesCreated: number;
  tokensIssued: number;
  faultsInjected: number;
}

export interface RunningEmulator {
  /** e.g. http://127.0.0.1:8089/ (https:// when serving HTTPS) */
  endpoint: string;
  /** With HTTPS: the certificate (PEM) clients must trust. */
  certificate: string | undefined;
  /** endpoint=http://127.0.0.1:8089/;accesskey=... */
  connectionString: string;
  accessKey: string;
  resourceId: string;
  port: number;
  faults: { set(rules: FaultRule[], options?: FaultOptions): void; clear(): void; list(): FaultRule[] };
  stats(): EmulatorStats;
  /** Forgets every identity, revocation and deletion; keeps the keys and the resource id. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  checkOptions(options);
  const settings = loadResourceSettings(options.dataDir, options);
  const state = EmulatorState.open(options.dataDir);
  const signer = new TokenSigner(settings.signingKey);
  const faults = new FaultController();
  const counters = { requests: 0, bearerAccepted: 0, bearerRefused: 0 };
  const tls = options.https === true ? await generateCertificate() : options.https || undefined;
  const acs: AcsContext = {
    state,
    signer,
    resourceId: settings.resourceId,
    verifyTeamsToken: createTeamsVerifier(options.teams),
    stats: { identitiesCreated: 0, tokensIssued: 0 },
  };
  const stats = (): EmulatorStats => ({
    ...acs.stats,
    ...counters,
    faultsInjected: faults.injected,
  });
  const server = createEmulatorServer({
    acs,
    admin: { state, signer, faults, accessKey: settings.accessKey, stats: () => ({ ...stats() }) },
    faults,
    accessKey: settings.accessKey,
    skewSeconds: options.clockSkewSeconds ?? 900,
    verifyBearer: options.entra ? createEntraVerifier(options.entra) : undefined,
    tls,
    stats: counters,
  });
  const host = options.host ?? "127.0.0.1";
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    state.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const endpoint = `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}/`;
  let closing: Promise<void> | undefined;
  return {
    endpoint,
    certificate: tls?.cert,
    connectionString: `endpoint=${endpoint};accesskey=${settings.accessKey}`,
    accessKey: settings.accessKey,
    resourceId: settings.resourceId,
    port,
    faults: {
      set: (rules, faultOptions) => faults.set(rules, faultOptions),
      clear: () => faults.clear(),
      list: () => faults.list(),
    },
    stats,
    reset: async () => state.reset(),
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => {
          state.close();
          if (error) reject(error);
          else resolve();
        });
        // Idle keep-alive sockets (the SDK's agent keeps them) would hold close() open.
        server.closeAllConnections();
      })),
  };
}

function checkOptions(options: EmulatorOptions): void {
  if (options.entra && !options.https)
    throw new Error("entra needs https: Entra ID bearer tokens are only ever sent over TLS");
  if (options.resourceId !== undefined && !GUID.test(options.resourceId))
    throw new Error("resourceId must be a GUID");
  if (options.accessKey !== undefined && !BASE64.test(options.accessKey))
    throw new Error("accessKey must be base64");
  if (
    options.port !== undefined &&
    !(Number.isInteger(options.port) && options.port >= 0 && options.port < 65536)
  )
    throw new Error("port must be 0..65535");
  if (
    options.clockSkewSeconds !== undefined &&
    !(Number.isFinite(options.clockSkewSeconds) && options.clockSkewSeconds >= 0)
  )
    throw new Error("clockSkewSeconds must be a number >= 0");
}
