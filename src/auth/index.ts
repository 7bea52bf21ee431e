// Authentication (bearer JWT to Principal, or anonymous) and authorization (the policy: roles to
// permissions, scopes and lifetimes), plus the development issuer of the embedded default.
// May import: config, errors, identity/model. GraphQL only in auth-checker.ts.
export { ANONYMOUS, type Principal } from "./principal";
export * from "./policy";
export {
  createBearerVerifier,
  isKeySourceOutage,
  readRoles,
  RETRY_LATER,
  type BearerVerifier,
} from "./bearer";
export { assertDevTokensAllowed, DEV_ISSUER, loadOrCreateDevIssuer, type DevIssuer } from "./dev-issuer";
export type { AuthContext } from "./context";
