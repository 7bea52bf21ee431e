// `npm run emulator`: prints its connection string first, and the real SDK runs the quickstart on it.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { validateEmulatorToken } from "../../src/emulator/admin-client";
import { builtFile } from "../support/build";
import { stopGracefully, waitForLine } from "../support/child-process";
import { sdkClient } from "../support/emulator";
import { BUILD_TIMEOUT_MS, SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

// Tests here may build the project first (builtFile), then start the built commands.
jest.setTimeout(BUILD_TIMEOUT_MS + SERVICE_START_TIMEOUT_MS);

test("the standalone emulator prints its connection string, serves the quickstart, and stops on SIGTERM", async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "emulator-cli-"));
  const child = spawn(
    process.execPath,
    [builtFile("src/emulator/cli.js"), "--port", "0", "--data-dir", dataDir],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  try {
    const [firstLine] = await waitForLine(child, /^.*$/);
    expect(firstLine).toMatch(/^endpoint=http:\/\/127\.0\.0\.1:\d+\/;accesskey=[A-Za-z0-9+/=]+$/);
    const endpoint = /^endpoint=([^;]+);/.exec(firstLine)![1];

    const client = sdkClient(firstLine);
    const user = await client.createUser();
    const { token } = await client.getToken(user, ["chat", "voip"]);
    expect(await validateEmulatorToken(endpoint, token)).toMatchObject({ valid: true });
    await client.revokeTokens(user);
    expect(await validateEmulatorToken(endpoint, token)).toMatchObject({ valid: false, reason: "revoked" });
    await client.deleteUser(user);
    expect(await validateEmulatorToken(endpoint, token)).toMatchObject({
      valid: false,
      reason: "identity_deleted",
    });

    expect(await stopGracefully(child)).toBe(0);
    // Only the first stdout line carries the key; nothing else it printed does.
    const key = /accesskey=(.+)$/.exec(firstLine)![1];
    expect(stderr).toContain("ACS Identity emulator on");
    expect(stderr).not.toContain(key);
    expect(stderr).not.toContain(token);
  } finally {
    child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
});
