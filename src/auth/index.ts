// Authentication (bearer JWT to Principal, or anonymous) and authorization (the policy: roles to
// permissions, scopes and lifetimes), plus the development issuer of the embedded default.
// Beside the core: it may import the core's vocabulary (identity/model, identity/policy), config and
// errors, never the reverse. GraphQL only in auth-checker.ts.
export { ANONYMOUS, type Principal } from "./principal";
export { loadPolicy } from "./policy-file";
export {
  createBearerVerifier,
  isKeySourceOutage,
  readRoles,
  RETRY_LATER,
  type BearerVerifier,
} from "./bearer";
export { DEFAULT_VERIFIED_CACHE, withVerifiedCache, type VerifiedCacheSettings } from "./verified-cache";
export { assertDevTokensAllowed, DEV_ISSUER, loadOrCreateDevIssuer, type DevIssuer } from "./dev-issuer";
export type { AuthContext } from "./context";
