import { randomUUID } from "node:crypto";
import {
  AcsErrorResponse,
  badRequest,
  identityNotFound,
  identityNotOwned,
  invalidAccessToken,
  invalidExpiry,
  malformedId,
  routeNotFound,
  scopesRequired,
  unknownScope,
} from "./errors";
import type { EmulatedIdentity, EmulatorState } from "./state";
import { GUID, type TeamsUser } from "./teams";
import { formatAcsDate, type TokenSigner } from "./tokens";

/**
 * The versions the real service lists in `api-supported-versions` (recorded April 2025; some
 * responses also list 2025-03-31-preview, so it is accepted too).
 */
export const IDENTITY_API_VERSIONS = [
  "2020-07-20-preview2",
  "2021-03-07",
  "2021-10-31-preview",
  "2021-11-01",
  "2022-06-01",
  "2022-10-01",
  "2023-10-01",
  "2025-03-02-preview",
  "2025-03-31-preview",
];
export const TEAMS_API_VERSIONS = [
  "2021-10-31-preview",
  "2022-06-01",
  "2022-10-01",
  "2023-10-01",
  "2025-03-02-preview",
];
/** customId and GET /identities/{id} arrived with this version. */
const CUSTOM_ID_VERSION = "2025-03-02-preview";
/** ACS never issues a token for longer than 24 hours; a Teams user's token is capped there too. */
const MAX_TOKEN_MS = 1440 * 60_000;

export interface AcsContext {
  state: EmulatorState;
  signer: TokenSigner;
  resourceId: string;
  verifyTeamsToken: (token: string) => Promise<TeamsUser | null>;
  stats: { identitiesCreated: number; tokensIssued: number };
}

export interface AcsRequest {
  method: string;
  /** Percent-decoded path segments, e.g. ["identities", "8:acs:...", ":issueAccessToken"]. */
  segments: string[];
  apiVersion: string;
  /** Parsed JSON body, or undefined for an empty body. */
  body: unknown;
}

export interface AcsResponse {
  status: number;
  body?: unknown;
}

export const isTeamsRoute = (segments: string[]) => segments[0] === "teamsUser";

/** Routes one ACS Identity API request. Throws AcsErrorResponse for every error the service would return. */
export async function handleAcsRequest(ctx: AcsContext, request: AcsRequest): Promise<AcsResponse> {
  const { method, segments } = request;
  if (segments[0] === "identities") {
    if (segments.length === 1 && method === "POST") return createIdentity(ctx, request);
    if (segments.length >= 2) {
      const preview = request.apiVersion >= CUSTOM_ID_VERSION;
      if (segments.length === 2 && method === "DELETE") return deleteIdentity(ctx, segments[1]);
      if (segments.length === 2 && method === "GET" && preview) return getIdentity(ctx, segments[1]);
      if (segments.length === 3 && method === "POST" && segments[2] === ":issueAccessToken")
        return issueToken(ctx, segments[1], request.body);
      if (segments.length === 3 && method === "POST" && segments[2] === ":revokeAccessTokens")
        return revokeTokens(ctx, segments[1]);
    }
  }
  if (
    segments.length === 2 &&
    segments[0] === "teamsUser" &&
    segments[1] === ":exchangeAccessToken" &&
    method === "POST"
  ) {
    return exchangeTeamsToken(ctx, request.body);
  }
  throw routeNotFound();
}

async function createIdentity(ctx: AcsContext, { body, apiVersion }: AcsRequest): Promise<AcsResponse> {
  const input = asObject(body ?? {});
  const scopes =
    input.createTokenWithScopes === undefined ? undefined : validScopes(input.createTokenWithScopes);
  const minutes = validMinutes(input.expiresInMinutes);
  const preview = apiVersion >= CUSTOM_ID_VERSION;
  let customId: string | undefined;
  if (preview && input.customId !== undefined) {
    if (typeof input.customId !== "string" || input.customId.length === 0 || input.customId.length > 256) {
      throw new AcsErrorResponse(400, "ValidationError", "CustomId is invalid.", "customId");
    }
    customId = input.customId;
  }
  const now = Date.now();
  // The same customId yields the same identity (and still 201, as recorded).
  let identity = customId ? ctx.state.findByCustomId(customId) : undefined;
  if (!identity) {
    identity = ctx.state.create(`8:acs:${ctx.resourceId}_${randomUUID()}`, customId, now);
    ctx.stats.identitiesCreated += 1;
  }
  const accessToken = scopes ? await mint(ctx, identity, scopes, minutes, now) : undefined;
  return {
    status: 201,
    body: { identity: describe(identity, preview), ...(accessToken ? { accessToken } : {}) },
  };
}

async function issueToken(ctx: AcsContext, rawId: string, body: unknown): Promise<AcsResponse> {
  const input = asObject(body);
  const scopes = validScopes(input.scopes);
  const minutes = validMinutes(input.expiresInMinutes);
  const identity = liveIdentity(ctx, rawId);
  return { status: 200, body: await mint(ctx, identity, scopes, minutes, Date.now()) };
}

function revokeTokens(ctx: AcsContext, rawId: string): AcsResponse {
  const identity = liveIdentity(ctx, rawId);
  // Covers every token issued so far, even one stamped a millisecond ahead by mint() below.
  ctx.state.revoke(identity.id, Math.max(Date.now(), identity.lastTokenIssuedAtMs ?? 0));
  return { status: 204 };
}

function deleteIdentity(ctx: AcsContext, rawId: string): AcsResponse {
  ctx.state.delete(liveIdentity(ctx, rawId).id, Date.now());
  return { status: 204 };
}

function getIdentity(ctx: AcsContext, rawId: string): AcsResponse {
  return { status: 200, body: describe(liveIdentity(ctx, rawId), true) };
}

async function exchangeTeamsToken(ctx: AcsContext, body: unknown): Promise<AcsResponse> {
  const input = asObject(body);
  const field = (name: string) => (typeof input[name] === "string" ? (input[name] as string) : "");
  const token = field("token");
  const appId = field("appId");
  const userId = field("userId");
  if (!appId)
    throw new AcsErrorResponse(400, "ValidationError", "AppId: The AppId field is required.", "AppId");
  if (!userId)
    throw new AcsErrorResponse(400, "ValidationError", "UserId: The UserId field is required.", "UserId");
  if (!token) throw invalidAccessToken();
  const invalidAppId = () =>
    new AcsErrorResponse(400, "ValidationError", "Provided AppId has invalid format.", "appId");
  const invalidUserId = () =>
    new AcsErrorResponse(400, "ValidationError", "Provided UserId has invalid format.", "userId");
  if (!GUID.test(appId)) throw invalidAppId();
  if (!GUID.test(userId)) throw invalidUserId();
  const user = await ctx.verifyTeamsToken(token);
  if (!user) throw invalidAccessToken();
  // The token must have been issued to this app for this user.
  if (user.appId.toLowerCase() !== appId.toLowerCase()) throw invalidAppId();
  if (user.oid.toLowerCase() !== userId.toLowerCase()) throw invalidUserId();
  const now = Date.now();
  // Expires with the Entra ID token, but never later than the 24 hours any ACS token may live.
  const expiresAtMs = Math.min(user.expiresAtMs, now + MAX_TOKEN_MS);
  const acsToken = await ctx.signer.sign({
    skypeid: `orgid:${user.oid}`,
    scopes: ["voip"],
    resourceId: ctx.resourceId,
    issuedAtMs: now,
    expiresAtMs,
    scp: 1024,
  });
  ctx.stats.tokensIssued += 1;
  return { status: 200, body: { token: acsToken, expiresOn: formatAcsDate(expiresAtMs) } };
}

async function mint(
  ctx: AcsContext,
  identity: EmulatedIdentity,
  scopes: string[],
  minutes: number,
  requestedAt: number,
) {
  // A token minted after a revoke must outlive it even within the same millisecond: revocation
  // compares issue times (<= revokedAt is revoked), so step past the revoke instant.
  const now =
    identity.revokedAtMs !== undefined ? Math.max(requestedAt, identity.revokedAtMs + 1) : requestedAt;
  const expiresAtMs = now + minutes * 60_000;
  const token = await ctx.signer.sign({
    skypeid: identity.id.slice(2), // without the "8:" prefix
    scopes,
    resourceId: ctx.resourceId,
    issuedAtMs: now,
    expiresAtMs,
  });
  ctx.state.tokenIssued(identity.id, now);
  ctx.stats.tokensIssued += 1;
  return { token, expiresOn: formatAcsDate(expiresAtMs) };
}

function describe(identity: EmulatedIdentity, preview: boolean) {
  if (!preview) return { id: identity.id };
  return {
    id: identity.id,
    ...(identity.customId ? { customId: identity.customId } : {}),
    ...(identity.lastTokenIssuedAtMs
      ? {
          lastTokenIssuedAt: new Date(identity.lastTokenIssuedAtMs)
            .toISOString()
            .replace(/\.\d{3}Z$/, "+00:00"),
        }
      : {}),
  };
}

const ID = /^8:([a-z-]+):([^_]+)_([^_]+)$/;

function liveIdentity(ctx: AcsContext, rawId: string): EmulatedIdentity {
  const match = ID.exec(rawId);
  if (!match || !GUID.test(match[2]) || !/^[0-9A-Za-z-]{1,64}$/.test(match[3])) throw malformedId();
  if (match[1] !== "acs" || match[2].toLowerCase() !== ctx.resourceId.toLowerCase()) throw identityNotOwned();
  const identity = ctx.state.identities.get(rawId);
  if (!identity || identity.deletedAtMs) throw identityNotFound();
  return identity;
}

function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined) throw badRequest("A request body is required.");
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw badRequest("The request body must be a JSON object.");
  return body as Record<string, unknown>;
}

/**
 * The token scopes ACS accepts (api-version 2023-10-01 and later). The emulator keeps its own list: it
 * stands in for a remote service and imports nothing of the service it is tested with.
 */
const ACS_SCOPES: readonly string[] = ["chat", "chat.join", "chat.join.limited", "voip", "voip.join"];

function validScopes(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw scopesRequired();
  for (const scope of value) {
    if (typeof scope !== "string" || !ACS_SCOPES.includes(scope)) throw unknownScope(String(scope));
  }
  return value as string[];
}

function validMinutes(value: unknown): number {
  if (value === undefined || value === null) return 1440;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 60 || value > 1440)
    throw invalidExpiry(value);
  return value;
}
