// `npm run token` as built: help, and every refusal said at once on stderr with nothing on stdout (so
// `TOKEN=$(npm run --silent token -- ...)` never captures an error), before any key is created.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { builtFile } from "../support/build";

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "cli-token-"));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

function token(args: string[], extraEnv: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [builtFile("src/auth/cli-token.js"), ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, ...extraEnv },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const keyFile = () => path.join(dataDir, "dev-issuer.json");

test("--help prints the usage on stdout and exits 0", () => {
  for (const flag of ["--help", "-h"]) {
    const result = token([flag]);
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(result.stdout).toMatch(/^Usage: npm run --silent token -- --sub <subject>/);
    for (const option of ["--sub", "--roles", "--ttl", "DATA_DIR", "node dist/src/auth/cli-token.js"]) {
      expect(result.stdout).toContain(option);
    }
  }
  expect(existsSync(keyFile())).toBe(false);
});

test("an unknown role is refused at once, naming the built-in policy's roles", () => {
  const result = token(["--sub", "alice", "--roles", "user,superuser"]);
  expect(result.status).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.trim()).toBe(
    'error: unknown role "superuser": the built-in policy has roles user, guest, service, admin.',
  );
  expect(existsSync(keyFile())).toBe(false);
});

test("with POLICY_FILE, the roles named are that policy's", () => {
  const policy = path.join(dataDir, "policy.yaml");
  writeFileSync(
    policy,
    "roles:\n  agent:\n    permissions: [mint:self]\n    scopes: [chat]\n    maxTokenLifetimeMinutes: 60\n",
  );
  const refused = token(["--sub", "alice", "--roles", "user"], { POLICY_FILE: policy });
  expect(refused.status).toBe(2);
  expect(refused.stderr).toContain(`unknown role "user": the policy in ${policy} has roles agent.`);

  const accepted = token(["--sub", "alice", "--roles", "agent"], { POLICY_FILE: policy });
  expect(accepted).toMatchObject({ status: 0, stderr: "" });
  expect(accepted.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
});

test.each(["0", "-5", "1.5", "abc", "3600s", ""])("--ttl %j is refused with the reason", (ttl) => {
  const result = token(["--sub", "alice", `--ttl=${ttl}`]);
  expect(result.status).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.trim()).toBe(
    `error: --ttl ${JSON.stringify(ttl)} is refused: the lifetime must be a whole number of seconds, ` +
      "at least 1 (a token with no lifetime is already expired).",
  );
  expect(existsSync(keyFile())).toBe(false);
});

test("a missing --sub, an unknown flag and an empty --roles are refused with the usage", () => {
  const noSub = token(["--roles", "user"]);
  expect(noSub).toMatchObject({ status: 2, stdout: "" });
  expect(noSub.stderr).toContain("Usage:");
  expect(noSub.stderr).toContain("error: --sub is required");

  const unknownFlag = token(["--sub", "alice", "--role", "admin"]);
  expect(unknownFlag).toMatchObject({ status: 2, stdout: "" });
  expect(unknownFlag.stderr).toMatch(/error: Unknown option '--role'/);

  const noRoles = token(["--sub", "alice", "--roles", " , "]);
  expect(noRoles).toMatchObject({ status: 2, stdout: "" });
  expect(noRoles.stderr).toContain("error: --roles is empty: the built-in policy has roles user, guest");
  expect(existsSync(keyFile())).toBe(false);
});

test("a good request prints exactly one line, the token, and keeps the key in DATA_DIR", () => {
  const result = token(["--sub", "alice", "--roles", "user,admin", "--ttl", "60"]);
  expect(result).toMatchObject({ status: 0, stderr: "" });
  expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const claims = JSON.parse(Buffer.from(result.stdout.split(".")[1], "base64url").toString("utf8"));
  expect(claims).toMatchObject({ sub: "alice", roles: ["user", "admin"] });
  expect(claims.exp - claims.iat).toBe(60);
  expect(existsSync(keyFile())).toBe(true);
});
