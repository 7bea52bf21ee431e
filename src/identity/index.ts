// The domain core: identities and tokens, their authorization, quotas and audit.
// May import: errors. Never GraphQL, SQL, the ACS SDK, config or auth: it sees its ports.
export * from "./model";
export * from "./ports";
export * from "./caller";
export * from "./policy";
export {
  IdentityService,
  type DeniedAttempt,
  type MintedToken,
  type TeamsToken,
  type IdentityServiceDeps,
  type PendingOperations,
  type ProvisioningOptions,
  type ReconcileReport,
} from "./identity-service";
export { assertIdentityId, assertOwner, isIdentityId, isSubject, subjectProblem } from "./validation";
