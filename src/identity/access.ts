// Who may do what to which identity: the caller's permissions (from their effective policy) and
// ownership. Pure functions over the caller and a record; refusals are AppErrors with stable codes.
import { AppError, ErrorCode, forbidden, notFound } from "../errors";
import type { AuditContext } from "./audit-trail";
import type { Caller } from "./caller";
import type { AcsScope, IdentityRecord } from "./model";
import { MAX_TOKEN_MINUTES } from "./model";
import { checkTokenRequest, type Permission } from "./policy";

/**
 * The one answer for an identity a caller may not see, whether it belongs to someone else, was deleted
 * or never existed: the same code and message, so the answer does not reveal which ids exist.
 */
export const unknownIdentity = () =>
  notFound("No identity with this id that you may use is known to this service.");

export function owns(caller: Caller, record: IdentityRecord | undefined): boolean {
  return record?.owner != null && record.owner === caller.subject;
}

/**
 * May the caller learn whether this identity exists, and in what state? Yes if it is theirs, or if
 * they may read every identity, or if `reach` (the permission that lets them act on any identity for
 * this operation) says so. Everyone else gets one answer for every id they do not own.
 */
export function maySee(caller: Caller, record: IdentityRecord | undefined, reach: Permission[]): boolean {
  if (owns(caller, record)) return true;
  return ["identity:read" as const, ...reach].some((p) => caller.effective.permissions.has(p));
}

/**
 * The identity to act on (`record`, as looked up by `identityId`), if the caller may see it and it is
 * usable. For a caller who may not see it, not found, forbidden and deleted are one answer
 * (`unknownIdentity`); `audit.hidden` tells the audit trail the truth.
 */
export function usableIdentity(
  caller: Caller,
  identityId: string,
  record: IdentityRecord | undefined,
  reach: Permission[],
  audit: Pick<AuditContext, "hidden">,
): IdentityRecord {
  if (!maySee(caller, record, reach)) {
    audit.hidden = { errorCode: record ? ErrorCode.FORBIDDEN : ErrorCode.NOT_FOUND };
    throw unknownIdentity();
  }
  if (!record) throw unknownIdentity();
  if (record.deletedAt) throw notFound(`Identity ${identityId} was deleted.`);
  if (record.deletionRequestedAt) throw notFound(`Identity ${identityId} is being deleted.`);
  return record;
}

/** The caller's subject; anonymous callers are refused. */
export function requireSubject(caller: Caller): string {
  if (caller.subject === null)
    throw new AppError(ErrorCode.UNAUTHENTICATED, "Sign in: this operation needs a bearer token.");
  return caller.subject;
}

/** Refuses unless the caller holds one of `anyOf`; `what` names the action in the refusal. */
export function requirePermission(caller: Caller, anyOf: Permission[], what: string): void {
  if (anyOf.some((permission) => caller.effective.permissions.has(permission))) return;
  if (caller.subject === null) throw new AppError(ErrorCode.UNAUTHENTICATED, `${what} needs a bearer token.`);
  throw forbidden(`${what} is not allowed for your roles (needs one of: ${anyOf.join(", ")}).`);
}

/**
 * Validates a token request against ACS's range and the caller's policy and returns the lifetime to
 * ask ACS for: the one asked for, or by default the longest the caller's policy allows.
 */
export function tokenLifetime(caller: Caller, scopes: AcsScope[], expiresInMinutes?: number | null): number {
  const minutes = expiresInMinutes ?? Math.min(MAX_TOKEN_MINUTES, caller.effective.maxTokenLifetimeMinutes);
  checkTokenRequest(caller.effective, scopes, minutes);
  return minutes;
}
