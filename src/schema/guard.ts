import { Authorized, Directive } from "type-graphql";
import type { Permission } from "../auth/policy";

/**
 * Who may use a field, stated once for both enforcers: type-graphql's @Authorized (the service's own
 * check, always applied) and the router's @authenticated / @requiresScopes (an early, coarse check).
 * No permissions means any signed-in caller. Router scopes are the permission names, any one suffices.
 */
export function Guard(...permissions: Permission[]): MethodDecorator & PropertyDecorator {
  const routerRule = permissions.length
    ? `@requiresScopes(scopes: ${JSON.stringify(permissions.map((permission) => [permission]))})`
    : "@authenticated";
  const authorized = Authorized(...permissions);
  const directive = Directive(routerRule);
  return (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    authorized(target, key, descriptor as never);
    directive(target, key, descriptor as never);
  };
}
