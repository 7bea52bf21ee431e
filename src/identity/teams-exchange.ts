// The Teams token exchange's own checks: well-formed ids, and that the Teams user is the caller.
import { badInput, forbidden } from "../errors";
import type { Caller } from "./caller";
import type { TeamsTokenRequest } from "./ports";

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// Entra ID access tokens are a few kB; far larger input is a mistake or an attack, refused before ACS.
const MAX_TEAMS_TOKEN_CHARS = 16_384;

/** Refuses malformed input with BAD_USER_INPUT naming the field; nothing of the token is echoed. */
export function assertTeamsRequest(request: TeamsTokenRequest): void {
  const { teamsToken, clientId, userObjectId } = request;
  if (teamsToken.length === 0 || teamsToken.length > MAX_TEAMS_TOKEN_CHARS || /\s/.test(teamsToken))
    throw badInput("teamsToken must be the Teams user's Entra ID access token.", "teamsToken");
  if (!GUID.test(clientId))
    throw badInput("clientId must be an Entra ID application id (a GUID).", "clientId");
  if (!GUID.test(userObjectId))
    throw badInput("userObjectId must be an Entra ID object id (a GUID).", "userObjectId");
}

/**
 * The exchange is bound to the authenticated caller: the Teams user must be the caller, as the
 * caller's own bearer token says (its object id claim). Anyone else's Teams token is refused, even a
 * valid one, so a leaked Teams token cannot be turned into ACS access by another signed-in user.
 */
export function assertOwnTeamsUser(caller: Caller, request: TeamsTokenRequest): void {
  const own = caller.objectId;
  if (!own || own.toLowerCase() !== request.userObjectId.toLowerCase())
    throw forbidden("You may exchange only your own Teams token: userObjectId must be your object id.");
}
