import { Authorized, createParameterDecorator, Directive, type ResolverData } from "type-graphql";
import { ALL_OF } from "../auth/auth-checker";
import type { AcsScope, Caller, Permission } from "../identity";
import type { GraphQLContext } from "./context";
import { GUARDED_ACTIONS } from "./operations";

/**
 * Who may use a field, stated once for both enforcers: type-graphql's @Authorized (the service's own
 * check, always applied) and the router's @authenticated / @requiresScopes (an early, coarse check).
 * No permissions means any signed-in caller. Each argument is one alternative, any one suffices; an
 * array alternative needs all of its permissions. Router scopes are the permission names.
 */
export function Guard(
  ...alternatives: Array<Permission | readonly Permission[]>
): MethodDecorator & PropertyDecorator {
  const sets = alternatives.map((alternative) =>
    typeof alternative === "string" ? [alternative] : [...alternative],
  );
  const routerRule = sets.length ? `@requiresScopes(scopes: ${JSON.stringify(sets)})` : "@authenticated";
  // The service's checker reads an all-of alternative joined by ALL_OF.
  const authorized = Authorized(...sets.map((set) => set.join(ALL_OF)));
  const directive = Directive(routerRule);
  return (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    if (!Object.hasOwn(GUARDED_ACTIONS, String(key)))
      throw new Error(`${String(key)} is guarded but has no audit action in GUARDED_ACTIONS.`);
    authorized(target, key, descriptor as never);
    directive(target, key, descriptor as never);
  };
}

const operationOf = ({ info }: Pick<ResolverData, "info">) => `${info.parentType.name}.${info.fieldName}`;

/**
 * Records a refusal by the guard: what was attempted (the field, its action, and the identity and
 * scopes named in its arguments) by whom, in which request. The core validates what it stores.
 */
export function recordGuardDenial(data: ResolverData<GraphQLContext>): Promise<void> {
  const { context, info, args } = data;
  const scopes = Array.isArray(args.scopes) ? (args.scopes as AcsScope[]) : null;
  return context.identities.operations.recordDenial(
    { ...context.caller, operation: operationOf(data) },
    {
      action: GUARDED_ACTIONS[info.fieldName],
      identityId: args.identityId ?? args.id,
      scopes,
    },
  );
}

/**
 * The request's caller, naming the field being resolved (`Type.field`) so the audit trail says which
 * operation acted. Use it instead of the context's `caller` in resolvers that reach the core.
 */
export const CurrentCaller = () =>
  createParameterDecorator<GraphQLContext>((data): Caller => ({
    ...data.context.caller,
    operation: operationOf(data),
  }));
