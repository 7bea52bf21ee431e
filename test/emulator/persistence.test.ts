// State survives restarts when the emulator has a data folder, and can be reset.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "../../src/emulator";
import { resetEmulator, validateEmulatorToken } from "../../src/emulator/admin-client";
import { sdkClient, sdkError, send, signedRequest } from "../support/emulator";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

// Tests here start services (or emulators, or child processes) of their own.
jest.setTimeout(SERVICE_START_TIMEOUT_MS);

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "emulator-data-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const getIdentity = (emulator: { endpoint: string; accessKey: string }, id: string) =>
  send(
    signedRequest(emulator.endpoint, emulator.accessKey, {
      method: "GET",
      pathAndQuery: `/identities/${encodeURIComponent(id)}?api-version=2025-03-02-preview`,
    }),
  );

test("identities, revocations, deletions and keys survive a restart; reset wipes identities", async () => {
  const dir = tempDir();
  const first = await startEmulator({ dataDir: dir });
  const client = sdkClient(first.connectionString);
  const kept = await client.createUserAndToken(["chat"]);
  const revoked = await client.createUserAndToken(["chat"]);
  await client.revokeTokens(revoked.user);
  const deleted = await client.createUserAndToken(["voip"]);
  await client.deleteUser(deleted.user);
  const custom = await send(
    signedRequest(first.endpoint, first.accessKey, {
      method: "POST",
      pathAndQuery: "/identities?api-version=2025-03-02-preview",
      body: '{"customId":"alice@contoso.com","createTokenWithScopes":["chat"]}',
    }),
  );
  const customId = custom.json!.identity.id as string;
  const detailBefore = (await getIdentity(first, customId)).json;
  const { accessKey, resourceId } = first;
  await first.close();
  // The access key and signing key are owner-only; so is the journal.
  expect(statSync(path.join(dir, "resource.json")).mode & 0o777).toBe(0o600);
  expect(statSync(path.join(dir, "journal.jsonl")).mode & 0o777).toBe(0o600);
  expect(readFileSync(path.join(dir, "journal.jsonl"), "utf8")).not.toContain(kept.token);

  const second = await startEmulator({ dataDir: dir });
  try {
    expect([second.accessKey, second.resourceId]).toEqual([accessKey, resourceId]);
    const check = (token: string) => validateEmulatorToken(second.endpoint, token);
    expect(await check(kept.token)).toMatchObject({ valid: true }); // the signing key persisted
    expect(await check(revoked.token)).toMatchObject({ valid: false, reason: "revoked" });
    expect(await check(deleted.token)).toMatchObject({ valid: false, reason: "identity_deleted" });
    const again = sdkClient(second.connectionString);
    expect((await again.getToken(kept.user, ["chat"])).token).toBeTruthy();
    expect((await again.getToken(revoked.user, ["chat"])).token).toBeTruthy();
    expect(await sdkError(again.getToken(deleted.user, ["chat"]))).toMatchObject({
      statusCode: 404,
      code: "IdentityNotFound",
    });
    // customId and lastTokenIssuedAt persisted too.
    expect((await getIdentity(second, customId)).json).toEqual(detailBefore);
    const recreated = await send(
      signedRequest(second.endpoint, second.accessKey, {
        method: "POST",
        pathAndQuery: "/identities?api-version=2025-03-02-preview",
        body: '{"customId":"alice@contoso.com"}',
      }),
    );
    expect(recreated.json!.identity.id).toBe(customId);

    await expect(resetEmulator(second.endpoint, "wrong-key")).rejects.toThrow(/401/);
    await resetEmulator(second.endpoint, second.accessKey);
    expect(await sdkError(again.getToken(kept.user, ["chat"]))).toMatchObject({
      statusCode: 404,
      code: "IdentityNotFound",
    });
    expect(await check(kept.token)).toMatchObject({ valid: false, reason: "identity_unknown" });
    // Keys stay: the same connection string still works after a reset.
    expect((await again.createUser()).communicationUserId).toContain(resourceId);
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

test("a torn last journal line (a crash mid-write) loses only that line", async () => {
  const dir = tempDir();
  const first = await startEmulator({ dataDir: dir });
  const { user, token } = await sdkClient(first.connectionString).createUserAndToken(["chat"]);
  await first.close();
  appendFileSync(path.join(dir, "journal.jsonl"), '{"t":"delete","id":"8:acs:');
  const second = await startEmulator({ dataDir: dir });
  try {
    expect(await validateEmulatorToken(second.endpoint, token)).toMatchObject({ valid: true });
    await sdkClient(second.connectionString).revokeTokens(user);
    expect(await validateEmulatorToken(second.endpoint, token)).toMatchObject({ reason: "revoked" });
  } finally {
    await second.close();
  }
});

test("a given access key and resource id are used (and kept); bad ones are refused", async () => {
  const dir = tempDir();
  const accessKey = Buffer.from("a key of my own choosing").toString("base64");
  const resourceId = "12345678-1234-1234-1234-123456789abc";
  const first = await startEmulator({ dataDir: dir, accessKey, resourceId });
  expect(first.connectionString).toBe(`endpoint=${first.endpoint};accesskey=${accessKey}`);
  expect((await sdkClient(first.connectionString).createUser()).communicationUserId).toMatch(
    new RegExp(`^8:acs:${resourceId}_`),
  );
  await first.close();
  await first.close(); // idempotent
  const second = await startEmulator({ dataDir: dir });
  expect([second.accessKey, second.resourceId]).toEqual([accessKey, resourceId]);
  await second.close();

  await expect(startEmulator({ resourceId: "not-a-guid" })).rejects.toThrow(/resourceId/);
  await expect(startEmulator({ accessKey: "not base64!" })).rejects.toThrow(/accessKey/);
  await expect(startEmulator({ clockSkewSeconds: -1 })).rejects.toThrow(/clockSkewSeconds/);
});

test("memory mode writes nothing and forgets on close", async () => {
  const first = await startEmulator();
  const user = await sdkClient(first.connectionString).createUser();
  await first.close();
  const second = await startEmulator();
  try {
    expect(second.accessKey).not.toBe(first.accessKey);
    expect(await sdkError(sdkClient(second.connectionString).revokeTokens(user))).toMatchObject({
      statusCode: 401, // another (random) resource
      code: "IdentityNotOwned",
    });
  } finally {
    await second.close();
  }
});
