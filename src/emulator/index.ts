// A local ACS Identity service that the real @azure/communication-identity SDK cannot tell from
// Azure: HMAC-verified, validating, persistent, with revocation that means something and faults on
// demand. May import: identity/model only (it stands alone so other apps can run it).
import type { AddressInfo } from "node:net";
import { FaultController, type FaultRule } from "./faults";
import type { AcsContext } from "./routes";
import { createEmulatorServer, type TokenValidity } from "./server";
import { EmulatorState, loadResourceSettings } from "./state";
import { createTeamsVerifier, type TeamsSettings } from "./teams";
import { TokenSigner } from "./tokens";

export type { FaultRule, TeamsSettings, TokenValidity };

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
  /** Allowed clock difference for x-ms-date, in seconds. Default 900 (longer than the SDK's retries). */
  clockSkewSeconds?: number;
}

export interface EmulatorStats {
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
  faults: { set(rules: FaultRule[]): void; clear(): void; list(): FaultRule[] };
  stats(): EmulatorStats;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
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
  const server = createEmulatorServer({
    acs,
    state,
    signer,
    faults,
    accessKey: settings.accessKey,
    skewSeconds: options.clockSkewSeconds ?? 900,
    stats: counters,
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${port}/`;
  return {
    endpoint,
    connectionString: `endpoint=${endpoint};accesskey=${settings.accessKey}`,
    accessKey: settings.accessKey,
    resourceId: settings.resourceId,
    port,
    faults: { set: (rules) => faults.set(rules), clear: () => faults.clear(), list: () => faults.list() },
    stats: () => ({ ...acs.stats, requests: counters.requests, faultsInjected: faults.injected }),
    reset: async () => state.reset(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
