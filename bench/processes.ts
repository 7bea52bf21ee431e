// The servers under test, each in its own Node process started from the build (dist/), as `npm start`
// and `npm run emulator` run them (without the build step): configured by environment only, output to
// a log file, measured from outside through /proc (CPU time and peak resident memory).
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, openSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

const DIST = path.resolve(__dirname, "..");
// The project's package.json: next to bench/ when this runs as source (tests), above dist/ when built.
const PACKAGE_JSON = ["../package.json", "../../package.json"]
  .map((relative) => path.resolve(__dirname, relative))
  .find(existsSync) as string;

/** The command that runs the built service: `node`, its options (captured), `dist/src/main.js`. */
export const SERVICE_COMMAND = /\bnode((?: --[\w-]+(?:=\S+)?)*) dist\/src\/main\.js\b/;

/**
 * The Node options `npm start` runs the service with (package.json's `start`: `node <options>
 * dist/src/main.js`), read from there so the benchmark cannot drift from it. The REST baseline runs
 * with the same ones: both sides of the comparison get the same runtime.
 */
export function serviceNodeOptions(): string[] {
  const start = (JSON.parse(readFileSync(PACKAGE_JSON, "utf8")) as { scripts: { start: string } }).scripts
    .start;
  const options = SERVICE_COMMAND.exec(start)?.[1];
  if (options === undefined)
    throw new Error(`package.json's start script does not run dist/src/main.js: ${start}`);
  return options.split(" ").filter(Boolean);
}

export const SCRIPTS = {
  service: path.join(DIST, "src/main.js"),
  emulator: path.join(DIST, "src/emulator/cli.js"),
  restBaseline: path.join(DIST, "bench/rest-baseline.js"),
  router: path.join(DIST, "bench/router.js"),
};

// Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on every mainstream kernel).
const TICKS_PER_SECOND = 100;

export interface ServerProcess {
  name: string;
  child: ChildProcess;
  /** CPU time (user + system) the process has used so far, in milliseconds. */
  cpuMs(): number;
  /** Peak resident memory so far (VmHWM), in MiB. */
  peakRssMiB(): number;
  stop(): Promise<void>;
}

// Every server started and not yet stopped, so that a failed run leaves none behind (`stopAll`).
const running = new Set<ServerProcess>();

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

/** A port nothing listens on right now (the kernel's choice), for servers that must be told one. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

/**
 * Starts `node <nodeOptions> script` with exactly `env` (plus PATH), its stdout and stderr appended to
 * `logFile`.
 */
export function startProcess(
  name: string,
  script: string,
  env: Record<string, string>,
  logFile: string,
  { args = [], nodeOptions = [] }: { args?: string[]; nodeOptions?: string[] } = {},
): ServerProcess {
  const log = openSync(logFile, "a");
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") reaches every process the bench starts.
  const nodeArgs = [...nodeOptions, ...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean)];
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", log, log],
  });
  const exited = once(child, "exit");
  const stat = () => readFileSync(`/proc/${child.pid}/stat`, "utf8");
  const server: ServerProcess = {
    name,
    child,
    cpuMs() {
      // Fields after the command name (which may hold spaces, so split after its closing parenthesis):
      // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after `) `.
      const fields = stat()
        .slice(stat().lastIndexOf(")") + 2)
        .split(" ");
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
    },
    peakRssMiB() {
      const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1];
      return Math.round(Number(kb) / 1024);
    },
    async stop() {
      running.delete(server);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(server);
  return server;
}

/** Resolves when `probe` first succeeds (retrying every 20 ms); fails if the process exits or time runs out. */
export async function waitUntil(
  server: ServerProcess,
  probe: () => Promise<boolean>,
  { timeoutMs = 60_000, logFile }: { timeoutMs?: number; logFile: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      throw new Error(
        `${server.name} exited (${server.child.exitCode}); its log:\n${readFileSync(logFile, "utf8")}`,
      );
    }
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(
    `${server.name} was not ready within ${timeoutMs} ms; its log:\n${readFileSync(logFile, "utf8")}`,
  );
}

/** Starts the emulator standalone on a free port; resolves with its connection string (its first stdout line). */
export async function startEmulatorProcess(dataDir: string, logFile: string) {
  const port = await freePort();
  const server = startProcess("emulator", SCRIPTS.emulator, {}, logFile, {
    args: ["--port", String(port), "--data-dir", dataDir],
  });
  let connectionString = "";
  await waitUntil(
    server,
    async () => {
      connectionString =
        readFileSync(logFile, "utf8")
          .split("\n")
          .find((l) => l.startsWith("endpoint=")) ?? "";
      return connectionString !== "";
    },
    { logFile },
  );
  return { server, connectionString };
}
