// State survives restarts when the emulator has a data folder, and can be reset.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "../../src/emulator";
import { resetEmulator, validateEmulatorToken } from "../../src/emulator/admin-client";
import { sdkClient, sdkError } from "../support/emulator";

const dir = mkdtempSync(path.join(os.tmpdir(), "emulator-data-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("identities, revocations, deletions and keys survive a restart; reset wipes identities", async () => {
  const first = await startEmulator({ dataDir: dir });
  const client = sdkClient(first.connectionString);
  const kept = await client.createUserAndToken(["chat"]);
  const revoked = await client.createUserAndToken(["chat"]);
  await client.revokeTokens(revoked.user);
  const deleted = await client.createUserAndToken(["voip"]);
  await client.deleteUser(deleted.user);
  const { accessKey, resourceId } = first;
  await first.close();
  expect(statSync(path.join(dir, "resource.json")).mode & 0o777).toBe(0o600);

  const second = await startEmulator({ dataDir: dir });
  try {
    expect([second.accessKey, second.resourceId]).toEqual([accessKey, resourceId]);
    const check = (token: string) => validateEmulatorToken(second.endpoint, token);
    expect(await check(kept.token)).toMatchObject({ valid: true }); // the signing key persisted
    expect(await check(revoked.token)).toMatchObject({ valid: false, reason: "revoked" });
    expect(await check(deleted.token)).toMatchObject({ valid: false, reason: "identity_deleted" });
    const again = sdkClient(second.connectionString);
    expect((await again.getToken(kept.user, ["chat"])).token).toBeTruthy();
    expect(await sdkError(again.getToken(deleted.user, ["chat"]))).toMatchObject({ statusCode: 404 });

    await expect(resetEmulator(second.endpoint, "wrong-key")).rejects.toThrow(/401/);
    await resetEmulator(second.endpoint, second.accessKey);
    expect(await sdkError(again.getToken(kept.user, ["chat"]))).toMatchObject({
      statusCode: 404,
      code: "IdentityNotFound",
    });
  } finally {
    await second.close();
  }

  const third = await startEmulator({ dataDir: dir });
  try {
    expect(await sdkError(sdkClient(third.connectionString).getToken(kept.user, ["chat"]))).toMatchObject({
      statusCode: 404,
    });
  } finally {
    await third.close();
  }
});
