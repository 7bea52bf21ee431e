// The whole flow per role, through the real server over HTTP, the real SDK and the emulator, with the
// emulator confirming each token's validity before and after revoke and delete.
import { validateEmulatorToken } from "../../src/emulator/admin-client";
import { startTestService, type TestService } from "../support/service";
import * as op from "../support/operations";
import { SERVICE_START_TIMEOUT_MS } from "../support/timeouts";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
}, SERVICE_START_TIMEOUT_MS);
afterAll(() => service?.stop());

const validity = (token: string) => validateEmulatorToken(service.emulator!.endpoint, token);

describe("a signed-in user", () => {
  test("sees their roles and what their policy allows", async () => {
    const alice = await service.as("alice", ["user"]);
    const { data, errors } = await alice.request(op.VIEWER);
    expect(errors).toEqual([]);
    expect(data!.viewer).toEqual({
      authenticated: true,
      subject: "alice",
      roles: ["user"],
      permissions: ["mint:self"],
      allowedScopes: ["CHAT", "CHAT_JOIN", "CHAT_JOIN_LIMITED", "VOIP", "VOIP_JOIN"],
      maxTokenLifetimeMinutes: 1440,
    });
  });

  test("gets a working token for their own identity, created on first use and reused after", async () => {
    const alice = await service.as("alice-first", ["user"]);
    expect((await alice.request(op.MY_IDENTITY)).data!.myCommunicationIdentity).toBeNull();

    const before = Date.now();
    const first = await alice.request(op.ISSUE_MY, { scopes: ["CHAT", "VOIP"], minutes: 60 });
    expect(first.errors).toEqual([]);
    const minted = first.data!.issueMyAccessToken;
    expect(minted.scopes).toEqual(["CHAT", "VOIP"]);
    expect(minted.identity.owner).toBe("alice-first");
    expect(minted.identity.id).toMatch(/^8:acs:[0-9a-f-]{36}_[0-9a-f-]{36}$/);
    const expiresOn = Date.parse(minted.expiresOn);
    expect(expiresOn).toBeGreaterThanOrEqual(before + 60 * 60_000 - 1000);
    expect(expiresOn).toBeLessThanOrEqual(Date.now() + 60 * 60_000 + 1000);
    expect(await validity(minted.token)).toMatchObject({
      valid: true,
      identity: minted.identity.id,
      scopes: ["chat", "voip"],
    });

    const second = await alice.request(op.ISSUE_MY, { scopes: ["CHAT"] });
    expect(second.data!.issueMyAccessToken.identity.id).toBe(minted.identity.id);
    // Without expiresInMinutes the policy's maximum applies: 24 h for users.
    expect(Date.parse(second.data!.issueMyAccessToken.expiresOn)).toBeGreaterThan(Date.now() + 1439 * 60_000);

    const mine = (await alice.request(op.MY_IDENTITY)).data!.myCommunicationIdentity;
    expect(mine.id).toBe(minted.identity.id);
    expect(mine.lastTokenIssuedAt).not.toBeNull();
  });

  test("may revoke their own tokens (sign out everywhere)", async () => {
    const dave = await service.as("dave", ["user"]);
    const minted = (await dave.request(op.ISSUE_MY, { scopes: ["CHAT"] })).data!.issueMyAccessToken;
    const revoked = await dave.request(op.REVOKE, { id: minted.identity.id });
    expect(revoked.errors).toEqual([]);
    expect(revoked.data!.revokeAccessTokens.tokensRevokedAt).not.toBeNull();
    expect(await validity(minted.token)).toMatchObject({ valid: false, reason: "revoked" });
  });
});

describe("a guest", () => {
  test("gets a short, limited token", async () => {
    const guest = await service.as("guest-1", ["guest"]);
    const viewer = (await guest.request(op.VIEWER)).data!.viewer;
    expect(viewer.allowedScopes).toEqual(["CHAT_JOIN_LIMITED", "VOIP_JOIN"]);
    expect(viewer.maxTokenLifetimeMinutes).toBe(60);
    const { data, errors } = await guest.request(op.ISSUE_MY, { scopes: ["CHAT_JOIN_LIMITED", "VOIP_JOIN"] });
    expect(errors).toEqual([]);
    expect(Date.parse(data!.issueMyAccessToken.expiresOn)).toBeLessThanOrEqual(
      Date.now() + 60 * 60_000 + 1000,
    );
    expect(await validity(data!.issueMyAccessToken.token)).toMatchObject({ valid: true });
  });
});

describe("a backend service", () => {
  test("creates an identity with its first token for an owner, then mints more for it", async () => {
    const backend = await service.as("backend", ["service"]);
    const created = await backend.request(op.CREATE_WITH_TOKEN, {
      owner: "carol",
      scopes: ["CHAT"],
      minutes: 120,
    });
    expect(created.errors).toEqual([]);
    const { identity, token } = created.data!.createCommunicationIdentityWithToken;
    expect(identity).toMatchObject({ owner: "carol", deletedAt: null });
    expect(await validity(token)).toMatchObject({ valid: true });

    const again = await backend.request(op.ISSUE, { id: identity.id, scopes: ["VOIP"], minutes: 60 });
    expect(again.errors).toEqual([]);
    expect(again.data!.issueAccessToken.identity.id).toBe(identity.id);

    // carol herself gets the same identity through the common path
    const carol = await service.as("carol", ["user"]);
    const hers = (await carol.request(op.ISSUE_MY, { scopes: ["CHAT"] })).data!.issueMyAccessToken;
    expect(hers.identity.id).toBe(identity.id);
  });
});

describe("minting for a user of the graph by id (issueUserAccessToken)", () => {
  test("a backend mints for any user, creating their identity once; users only for themselves", async () => {
    const backend = await service.as("backend", ["service"]);
    const first = await backend.request(op.ISSUE_FOR_USER, { userId: "dora", scopes: ["VOIP"], minutes: 60 });
    expect(first.errors).toEqual([]);
    const id = first.data!.issueUserAccessToken.identity.id;
    expect(first.data!.issueUserAccessToken.identity.owner).toBe("dora");
    expect(await validity(first.data!.issueUserAccessToken.token)).toMatchObject({ valid: true });
    const again = await backend.request(op.ISSUE_FOR_USER, { userId: "dora", scopes: ["CHAT"] });
    expect(again.data!.issueUserAccessToken.identity.id).toBe(id);

    const dora = await service.as("dora", ["user"]);
    expect(
      (await dora.request(op.ISSUE_FOR_USER, { userId: "dora", scopes: ["CHAT"] })).data!.issueUserAccessToken
        .identity.id,
    ).toBe(id);
    const other = await dora.request(op.ISSUE_FOR_USER, { userId: "erin", scopes: ["CHAT"] });
    expect(other.errors.map((e) => e.code)).toEqual(["FORBIDDEN"]);
    expect(await service.store.identities.findActiveByOwner("erin")).toBeUndefined();
  });
});

describe("an operator (admin)", () => {
  test("runs the quickstart: create, issue, revoke, delete, with ACS agreeing at each step", async () => {
    const admin = await service.as("ops", ["admin"]);
    const created = await admin.request(op.CREATE, { owner: "bob" });
    expect(created.errors).toEqual([]);
    const id = created.data!.createCommunicationIdentity.id;
    expect(created.data!.createCommunicationIdentity).toMatchObject({
      owner: "bob",
      lastTokenIssuedAt: null,
    });

    const first = (await admin.request(op.ISSUE, { id, scopes: ["CHAT", "VOIP"], minutes: 60 })).data!
      .issueAccessToken;
    expect(await validity(first.token)).toMatchObject({ valid: true });

    const revoked = await admin.request(op.REVOKE, { id });
    expect(revoked.errors).toEqual([]);
    expect(await validity(first.token)).toMatchObject({ valid: false, reason: "revoked" });

    const second = (await admin.request(op.ISSUE, { id, scopes: ["VOIP"] })).data!.issueAccessToken;
    expect(await validity(second.token)).toMatchObject({ valid: true });

    const deleted = await admin.request(op.DELETE, { id });
    expect(deleted.errors).toEqual([]);
    expect(deleted.data!.deleteCommunicationIdentity.deletedAt).not.toBeNull();
    expect(await validity(second.token)).toMatchObject({ valid: false, reason: "identity_deleted" });

    const afterDelete = await admin.request(op.ISSUE, { id, scopes: ["VOIP"] });
    expect(afterDelete.errors.map((e) => e.code)).toEqual(["NOT_FOUND"]);
    // Deleting again is a no-op that reports the same deletion.
    const again = await admin.request(op.DELETE, { id });
    expect(again.data!.deleteCommunicationIdentity.deletedAt).toBe(
      deleted.data!.deleteCommunicationIdentity.deletedAt,
    );
  });

  test("lists identities page by page and reads the audit trail, which never holds a token", async () => {
    const admin = await service.as("ops", ["admin"]);
    const owners = ["p1", "p2", "p3", "p4", "p5"];
    const tokens: string[] = [];
    for (const owner of owners) {
      const minted = await admin.request(op.CREATE_WITH_TOKEN, { owner, scopes: ["CHAT"] });
      tokens.push(minted.data!.createCommunicationIdentityWithToken.token);
    }
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: any = (await admin.request(op.IDENTITIES, { first: 2, after })).data!
        .communicationIdentities;
      expect(page.nodes.length).toBeLessThanOrEqual(2);
      seen.push(...page.nodes.map((n: { owner: string }) => n.owner));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(expect.arrayContaining(owners));
    expect(new Set(seen).size).toBe(seen.length);

    const byOwner = (await admin.request(op.IDENTITIES, { first: 10, owner: "p3" })).data!
      .communicationIdentities;
    expect(byOwner.nodes.map((n: { owner: string }) => n.owner)).toEqual(["p3"]);

    const audit = await admin.request(op.AUDIT, { first: 100, actor: "ops" });
    expect(audit.errors).toEqual([]);
    const events = audit.data!.auditEvents.nodes;
    expect(
      events.filter((e: { action: string }) => e.action === "token.issue").length,
    ).toBeGreaterThanOrEqual(5);
    expect(events[0]).toMatchObject({ actor: "ops", outcome: "success" });
    const text = JSON.stringify(events);
    for (const token of tokens) expect(text).not.toContain(token);
  });
});
