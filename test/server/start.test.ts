// The README's path on the embedded default: `npm start` with nothing configured, a token from
// `npm run token`, one mutation over HTTP, then a clean shutdown. Runs the built commands.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { builtFile } from "../support/build";
import { stopGracefully, waitForLine } from "../support/child-process";

test("npm start serves the API on the embedded default, and npm run token mints a working bearer token", async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "npm-start-"));
  // Only what a fresh shell has: no settings of ours beyond where to keep data and a free port.
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    PORT: "0",
    LOG_LEVEL: "warn",
  };
  const child = spawn(process.execPath, [builtFile("src/main.js")], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const lines: string[] = [];
    const [, url] = await waitForLine(child, /ready: (http:\/\/\S+\/graphql)/, lines);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the rest of the banner
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
        query: "mutation { issueMyAccessToken(scopes: [CHAT]) { expiresOn identity { id owner } } }",
      }),
    });
    const body = (await response.json()) as { data: { issueMyAccessToken: { identity: { owner: string } } } };
    expect(body.data.issueMyAccessToken.identity.owner).toBe("alice");

    expect(await stopGracefully(child)).toBe(0);
  } finally {
    child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);

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
