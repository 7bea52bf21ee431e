// The domain core: identities and tokens, their authorization, quotas and audit.
// May import: errors, auth/policy (pure policy checks). Never GraphQL, SQL or the ACS SDK: it sees ports.
export * from "./model";
export * from "./ports";
export * from "./caller";
export { IdentityService, type MintedToken, type IdentityServiceDeps } from "./identity-service";
