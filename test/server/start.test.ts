// The README's path on the embedded default: `npm start` with nothing configured, a token from
// `npm run token`, one mutation over HTTP, then a clean shutdown. Runs the built commands.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { builtFile } from "../support/build";
import { openStore } from "../../src/store";
import { stopGracefully, waitForLine } from "../support/child-process";
import { captureProcess, devIssuerPrivateKey, recordSecret } from "../support/secret-sweep";
import { BUILD_TIMEOUT_MS, SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

// Tests here may build the project first (builtFile), then start the built commands.
jest.setTimeout(BUILD_TIMEOUT_MS + SERVICE_START_TIMEOUT_MS);

test("npm start serves the API on the embedded default, and npm run token mints a working bearer token", async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "npm-start-"));
  // Only what a fresh shell has: no settings of ours beyond where to keep data and a free port.
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    PORT: "0",
    // Everything, so the secret sweep reads every line this process logs.
    LOG_LEVEL: "trace",
  };
  const child = spawn(process.execPath, [builtFile("src/main.js")], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const capture = captureProcess(child, "npm start (test/server/start.test.ts)");
  try {
    const lines: string[] = [];
    // The banner's last line (printed at once with the rest): then the whole banner is in `lines`.
    await waitForLine(child, /^\s+token:\s+npm run token/, lines);
    const [, url] = /ready: (http:\/\/\S+\/graphql)/.exec(lines.join("\n")) ?? [];
    expect(lines.join("\n")).toMatch(/embedded ACS emulator at http:\/\/127\.0\.0\.1:\d+\//);
    expect(lines.join("\n")).toContain(path.join(dataDir, "db"));
    expect(lines.join("\n")).toContain("npm run token -- --sub alice --roles user");

    const token = spawnSync(
      process.execPath,
      [builtFile("src/auth/cli-token.js"), "--sub", "alice", "--roles", "user"],
      { env, encoding: "utf8" },
    );
    expect(token.status).toBe(0);
    const bearer = token.stdout.trim();
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
      body: JSON.stringify({
        query: "mutation { issueMyAccessToken(scopes: [CHAT]) { token expiresOn identity { id owner } } }",
      }),
    });
    const body = (await response.json()) as { data: { issueMyAccessToken: { identity: { owner: string } } } };
    expect(body.data.issueMyAccessToken.identity.owner).toBe("alice");

    expect(await stopGracefully(child)).toBe(0);
    if (capture) {
      // Its own secrets, kept in its data folder: the emulator's access key and the development issuer's key.
      const resource = JSON.parse(readFileSync(path.join(dataDir, "emulator", "resource.json"), "utf8"));
      recordSecret("emulator access key", resource.accessKey);
      recordSecret("dev issuer private key", devIssuerPrivateKey(dataDir));
      const store = await openStore({ kind: "embedded", dir: path.join(dataDir, "db") });
      try {
        await capture.finish(store.db);
      } finally {
        await store.close();
      }
    }
  } finally {
    child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a bad setting stops start-up with a message naming it", () => {
  const result = spawnSync(process.execPath, [builtFile("src/main.js")], {
    env: { PATH: process.env.PATH, PORT: "not-a-port" },
    encoding: "utf8",
  });
  expect(result.status).toBe(2);
  expect(result.stderr).toContain("PORT");
});

test("production without a real token issuer refuses to start", () => {
  const result = spawnSync(process.execPath, [builtFile("src/main.js")], {
    env: { PATH: process.env.PATH, NODE_ENV: "production" },
    encoding: "utf8",
  });
  expect(result.status).toBe(2);
  expect(result.stderr).toContain("AUTH_ISSUER");
});
