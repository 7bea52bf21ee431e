// A local ACS Identity service that the real @azure/communication-identity SDK cannot tell from
// Azure: HMAC-verified, validating, persistent, with revocation that means something and faults on
// demand. It imports nothing else of src/ (it stands alone, like the remote service it stands in for).
import type { AddressInfo } from "node:net";
import { FaultController, type FaultOptions, type FaultRule } from "./faults";
import type { AcsContext } from "./routes";
import { createEmulatorServer } from "./server";
import { EmulatorState, loadResourceSettings } from "./state";
import { createTeamsVerifier, GUID, type TeamsSettings } from "./teams";
import { TokenSigner } from "./tokens";
import type { TokenValidity } from "./validity";

export type { FaultOptions, FaultRule, TeamsSettings, TokenValidity };

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
}

export interface EmulatorStats {
  /** ACS API requests received (each SDK retry counts). */
  requests: number;
  identitiesCreated: number;
  tokensIssued: number;
  faultsInjected: number;
}

export interface RunningEmulator {
  /** e.g. http://127.0.0.1:8089/ */
  endpoint: string;
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
  const counters = { requests: 0 };
  const acs: AcsContext = {
    state,
    signer,
    resourceId: settings.resourceId,
    verifyTeamsToken: createTeamsVerifier(options.teams),
    stats: { identitiesCreated: 0, tokensIssued: 0 },
  };
  const stats = (): EmulatorStats => ({
    ...acs.stats,
    requests: counters.requests,
    faultsInjected: faults.injected,
  });
  const server = createEmulatorServer({
    acs,
    admin: { state, signer, faults, accessKey: settings.accessKey, stats: () => ({ ...stats() }) },
    faults,
    accessKey: settings.accessKey,
    skewSeconds: options.clockSkewSeconds ?? 900,
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
  const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${port}/`;
  let closing: Promise<void> | undefined;
  return {
    endpoint,
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
