// The schema's guarded operations, named once: what each does in the audit trail's words, and which of
// them spend ACS quota on new credentials or identities (the query limits allow one per operation).
import type { AuditAction } from "../identity";

/**
 * What each guarded field does, in the audit trail's words: a refusal by the guard is recorded under
 * this action. Keyed by field name (a name used on two types means the same thing on both). `Guard`
 * refuses a field that is missing here, so a new operation cannot be refused without a record.
 */
export const GUARDED_ACTIONS: Readonly<Record<string, AuditAction>> = {
  myCommunicationIdentity: "identity.read",
  communicationIdentity: "identity.read",
  communicationIdentities: "identity.list",
  auditEvents: "audit.read",
  issueMyAccessToken: "token.issue",
  issueUserAccessToken: "token.issue",
  issueAccessToken: "token.issue",
  createCommunicationIdentityWithToken: "token.issue",
  createCommunicationIdentity: "identity.create",
  revokeAccessTokens: "token.revoke",
  deleteCommunicationIdentity: "identity.delete",
  exchangeTeamsUserToken: "token.exchange_teams",
  pendingIdentityOperations: "identity.list",
  reconcileIdentities: "identity.reconcile",
};

/** The actions that make a new credential or identity, spending ACS's issue or create quota. */
const MINTING_ACTIONS: ReadonlySet<AuditAction> = new Set([
  "token.issue",
  "identity.create",
  "token.exchange_teams",
]);

/**
 * Mutations that spend ACS quota on new credentials or identities. Each may run at most once per
 * operation, and only one of them: aliases or repeated fields would otherwise multiply one request
 * (and one rate-limit check's worth of intent) into several mints.
 */
export const SINGLE_MINT_MUTATIONS: ReadonlySet<string> = new Set(
  Object.entries(GUARDED_ACTIONS)
    .filter(([, action]) => MINTING_ACTIONS.has(action))
    .map(([field]) => field),
);
