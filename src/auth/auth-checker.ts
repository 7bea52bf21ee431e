import type { AuthCheckerFn, ResolverData } from "type-graphql";
import { ErrorCode, forbidden, unauthenticated, type AppError } from "../errors";
import type { AuthContext } from "./context";
import type { Permission } from "../identity/policy";

/**
 * Called when the guard refuses a signed-in caller, before the refusal is thrown; the schema layer
 * records it in the audit trail. If it throws, that error is what the caller gets instead.
 */
export type OnDenied<C extends AuthContext> = (data: ResolverData<C>, refusal: AppError) => Promise<void>;

/** Joins the permissions of an alternative that needs all of them: `@Authorized("a+b", "c")`. */
export const ALL_OF = "+";

function check(context: AuthContext, alternatives: string[]): true {
  const allowed =
    alternatives.length === 0
      ? context.principal.subject !== null
      : alternatives.some((alternative) =>
          alternative.split(ALL_OF).every((p) => context.effective.permissions.has(p as Permission)),
        );
  if (allowed) return true;
  if (context.principal.subject === null)
    throw unauthenticated("Sign in: this operation needs a bearer token.");
  const named = alternatives.map((alternative) => alternative.split(ALL_OF).join(" and "));
  throw forbidden(`This operation needs one of these permissions: ${named.join(", ")}.`);
}

/**
 * type-graphql's guard: `@Authorized()` needs a signed-in caller, `@Authorized("a", "b")` needs any of
 * those permissions. It throws (rather than returning false) so the error code is ours and stable.
 * With `onDenied`, a FORBIDDEN refusal is handed to it first (and the check becomes asynchronous only
 * then); UNAUTHENTICATED ones are not: anonymous traffic costs nothing to send and is not recorded.
 */
export function createAuthChecker<C extends AuthContext>(onDenied?: OnDenied<C>): AuthCheckerFn<C, string> {
  return (data, permissions) => {
    try {
      return check(data.context, permissions);
    } catch (error) {
      const refusal = error as AppError;
      if (!onDenied || refusal.code !== ErrorCode.FORBIDDEN) throw refusal;
      return onDenied(data, refusal).then(() => {
        throw refusal;
      });
    }
  };
}

/** The guard without recording, for code that has no audit trail at hand. */
export const authChecker: AuthCheckerFn<AuthContext, string> = createAuthChecker();
