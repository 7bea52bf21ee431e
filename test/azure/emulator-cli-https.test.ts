// `npm run emulator -- --https`: a certificate generated once into the data folder, kept across
// restarts, and the real SDK (trusting that file through ACS_CA_FILE's policy) working over HTTPS.
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { trustPolicies } from "../../src/acs/credential";
import { generateCertificate } from "../../src/emulator";
import { builtFile } from "../support/build";
import { stopGracefully, waitForLine } from "../support/child-process";

async function runOnce(dataDir: string) {
  const child = spawn(
    process.execPath,
    [builtFile("src/emulator/cli.js"), "--port", "0", "--data-dir", dataDir, "--https"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  try {
    const [connectionString] = await waitForLine(child, /^endpoint=.*$/);
    expect(connectionString).toMatch(/^endpoint=https:\/\/127\.0\.0\.1:\d+\/;accesskey=/);
    const certFile = path.resolve(dataDir, "tls", "cert.pem");
    const client = new CommunicationIdentityClient(connectionString, {
      additionalPolicies: trustPolicies(certFile),
    });
    const user = await client.createUser();
    expect((await client.getToken(user, ["chat"])).token).toMatch(/^ey/);
    expect(await stopGracefully(child)).toBe(0);
    expect(stderr).toContain(`Trust its certificate ${certFile}`);
    return readFileSync(certFile, "utf8");
  } finally {
    child.kill("SIGKILL");
  }
}

test("serves HTTPS with a certificate kept in the data folder (its key readable by the owner only)", async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "emulator-https-"));
  try {
    const first = await runOnce(dataDir);
    expect(existsSync(path.join(dataDir, "tls", "key.pem"))).toBe(true);
    expect(statSync(path.join(dataDir, "tls", "key.pem")).mode & 0o077).toBe(0);
    expect(await runOnce(dataDir)).toBe(first); // clients keep trusting the same file
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);

test("a kept certificate that has expired (or expires within a day) is replaced", async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "emulator-https-"));
  try {
    const expired = await generateCertificate(undefined, 0.01); // valid from an hour ago for 15 minutes
    mkdirSync(path.join(dataDir, "tls"));
    writeFileSync(path.join(dataDir, "tls", "cert.pem"), expired.cert);
    writeFileSync(path.join(dataDir, "tls", "key.pem"), expired.key);
    const served = await runOnce(dataDir);
    expect(served).not.toBe(expired.cert);
    expect(Date.parse(new X509Certificate(served).validTo)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
