import { Ctx, Query, Resolver } from "type-graphql";
import { ACS_SCOPES } from "../../identity/model";
import type { GraphQLContext } from "../context";
import { toTokenScopes } from "../types/token-scope";
import { Viewer } from "../types/viewer";

@Resolver(() => Viewer)
export class ViewerResolver {
  // Public on purpose: it tells an anonymous caller that it is anonymous and may do nothing.
  @Query(() => Viewer, { description: "Who you are and what you may ask for. Works without a token." })
  viewer(@Ctx() { principal, effective }: GraphQLContext): Viewer {
    return {
      authenticated: principal.subject !== null,
      subject: principal.subject,
      roles: principal.roles,
      permissions: [...effective.permissions].sort(),
      allowedScopes: toTokenScopes(ACS_SCOPES.filter((scope) => effective.scopes.has(scope))),
      maxTokenLifetimeMinutes: effective.maxTokenLifetimeMinutes,
    };
  }
}
