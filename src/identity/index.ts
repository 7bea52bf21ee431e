// The domain core: identities and tokens, their authorization, quotas and audit.
// May import: errors. Never GraphQL, SQL, the ACS SDK, config or auth: it sees its ports.
export * from "./model";
export * from "./ports";
export * from "./caller";
export * from "./policy";
export { IdentityService } from "./identity-service";
export type { IdentityServiceDeps } from "./collaborators";
export type { DeniedAttempt } from "./audit-trail";
export type { MintedToken, ProvisioningOptions } from "./provisioning";
export type { ReconcileReport } from "./reconciler";
export type { TeamsToken } from "./token-issuing";
export type { PendingOperations } from "./service-operations";
export { assertIdentityId, assertOwner, isIdentityId, isSubject, subjectProblem } from "./validation";
