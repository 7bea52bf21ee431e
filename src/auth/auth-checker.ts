import type { AuthCheckerFn } from "type-graphql";
import { forbidden, unauthenticated } from "../errors";
import type { AuthContext } from "./context";
import type { Permission } from "./policy";

/**
 * type-graphql's guard: `@Authorized()` needs a signed-in caller, `@Authorized("a", "b")` needs any of
 * those permissions. It throws (rather than returning false) so the error code is ours and stable.
 */
export const authChecker: AuthCheckerFn<AuthContext, Permission> = ({ context }, permissions) => {
  const allowed =
    permissions.length === 0
      ? context.principal.subject !== null
      : permissions.some((p) => context.effective.permissions.has(p));
  if (allowed) return true;
  if (context.principal.subject === null)
    throw unauthenticated("Sign in: this operation needs a bearer token.");
  throw forbidden(`This operation needs one of these permissions: ${permissions.join(", ")}.`);
};
