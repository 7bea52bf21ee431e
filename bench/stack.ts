// The servers of one database round: the service (as `npm start` runs it) and the REST baseline, each
// in its own process on its own database (a data folder, or a fresh PostgreSQL schema), both talking
// to the one emulator process, and the router (bench/router.ts) in front of the service. Configuration
// is environment only, as in a deployment.
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { createSchema, type BenchSchema } from "./postgres";
import {
  freePort,
  SCRIPTS,
  serviceNodeOptions,
  startProcess,
  waitUntil,
  type ServerProcess,
} from "./processes";
import { writeSupergraph } from "./supergraph";

export type DatabaseKind = "embedded" | "postgres";

/** Limits far above anything the benchmark reaches, so they never refuse a request (they still run). */
const UNLIMITED = "1000000000";
const LIMITS = Object.fromEntries(
  ["MINT", "CREATE"].flatMap((bucket) => [
    [`RATE_LIMIT_${bucket}_PER_MINUTE`, UNLIMITED],
    [`RATE_LIMIT_${bucket}_PER_MINUTE_PER_ADDRESS`, UNLIMITED],
    // Above ACS's default quota: accepted with a warning (the emulator has no quota).
    [`ACS_QUOTA_${bucket}_PER_30S`, UNLIMITED],
  ]),
);

/** How to start one server again and again (the cold start restarts the service on its existing data). */
export interface ServerLauncher {
  name: string;
  url: string;
  logFile: string;
  start(): ServerProcess;
}

export interface Stack {
  database: DatabaseKind;
  service: ServerLauncher;
  restBaseline: ServerLauncher;
  /** The REST baseline's endpoint over the service's core (REST_BASELINE_CORE), on its own database. */
  restCore: ServerLauncher;
  /** The service again, on its own database, with token reuse on. */
  serviceWithReuse: ServerLauncher;
  /** Hive Gateway in front of `service` (no database of its own). */
  router: ServerLauncher;
  /** Drops the PostgreSQL schemas (the data folders go with the run's temporary folder). */
  cleanup(): Promise<void>;
}

/** What the router needs to verify bearer tokens as the service does: the issuer's keys and claims. */
export interface RouterAuth {
  jwksUrl: string;
  issuer: string;
  audience: string;
  algorithm: string;
}

/**
 * Prepares (does not start) the service and the REST baseline for `database`. Each gets its own data
 * folder under `workDir` holding a copy of the development issuer's key `devKeyFile`, so the load
 * generator's bearer tokens verify in both; the router verifies them against `routerAuth`.
 */
export async function prepareStack(
  database: DatabaseKind,
  {
    workDir,
    devKeyFile,
    acsConnectionString,
    routerAuth,
  }: { workDir: string; devKeyFile: string; acsConnectionString: string; routerAuth: RouterAuth },
): Promise<Stack> {
  const schemas: BenchSchema[] = [];
  // The service and the REST baseline alike: `npm start`'s Node options.
  const nodeOptions = serviceNodeOptions();
  const launcher = async (
    name: string,
    script: string,
    extraEnv: Record<string, string> = {},
  ): Promise<ServerLauncher> => {
    const dataDir = path.join(workDir, `${database}-${name}`);
    mkdirSync(dataDir, { recursive: true });
    copyFileSync(devKeyFile, path.join(dataDir, path.basename(devKeyFile)));
    const port = await freePort();
    const env: Record<string, string> = {
      DATA_DIR: dataDir,
      HOST: "127.0.0.1",
      PORT: String(port),
      ACS_CONNECTION_STRING: acsConnectionString,
      ...LIMITS,
      ...extraEnv,
    };
    if (database === "postgres") {
      const schema = await createSchema(name.replace(/\W/g, "_"));
      schemas.push(schema);
      env.DATABASE_URL = schema.url;
    }
    const logFile = path.join(workDir, `${database}-${name}.log`);
    return {
      name,
      url: `http://127.0.0.1:${port}`,
      logFile,
      start: () => startProcess(name, script, env, logFile, { nodeOptions }),
    };
  };
  const cleanup = async () => {
    await Promise.all(schemas.map((schema) => schema.drop()));
  };
  // The router, started as docs/router.md starts Hive Gateway, serving a supergraph routed to `service`.
  const routerLauncher = async (service: ServerLauncher): Promise<ServerLauncher> => {
    const supergraphFile = path.join(workDir, `${database}-supergraph.graphql`);
    writeSupergraph(`${service.url}/graphql`, supergraphFile);
    const port = await freePort();
    const env = {
      HOST: "127.0.0.1",
      PORT: String(port),
      SUPERGRAPH_FILE: supergraphFile,
      AUTH_JWKS_URL: routerAuth.jwksUrl,
      AUTH_ISSUER: routerAuth.issuer,
      AUTH_AUDIENCE: routerAuth.audience,
      AUTH_ALGORITHMS: routerAuth.algorithm,
    };
    const logFile = path.join(workDir, `${database}-router.log`);
    return {
      name: "router",
      url: `http://127.0.0.1:${port}`,
      logFile,
      start: () => startProcess("router", SCRIPTS.router, env, logFile),
    };
  };
  try {
    const service = await launcher("service", SCRIPTS.service);
    return {
      database,
      service,
      restBaseline: await launcher("rest-baseline", SCRIPTS.restBaseline),
      restCore: await launcher("rest-core", SCRIPTS.restBaseline, { REST_BASELINE_CORE: "true" }),
      // Token reuse (docs/token-reuse.md) with a key made for this run; kept tokens in memory.
      serviceWithReuse: await launcher("service-reuse", SCRIPTS.service, {
        TOKEN_REUSE: "true",
        TOKEN_REUSE_KEYS: randomBytes(32).toString("base64"),
      }),
      router: await routerLauncher(service),
      cleanup,
    };
  } catch (error) {
    await cleanup(); // a schema made before the failure
    throw error;
  }
}

/** Starts a server and resolves once `probe` (a first successful operation) succeeds. */
export async function startAndWait(
  launcher: ServerLauncher,
  probe: () => Promise<boolean>,
): Promise<ServerProcess> {
  const server = launcher.start();
  try {
    await waitUntil(server, probe, { logFile: launcher.logFile });
    return server;
  } catch (error) {
    await server.stop();
    throw error;
  }
}
