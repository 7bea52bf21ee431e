// `_entities` is the one field that takes a list of work items from the caller. Before any of them is
// resolved, the whole list is checked once: the caller is signed in, the list is no longer than the
// cap, and every item names one of our entities with a well-formed id. A bad list is refused with one
// BAD_USER_INPUT (no per-item errors, no per-item log lines) and reaches no loader or database.
import type { GraphQLFieldResolver, GraphQLSchema } from "graphql";
import { AppError, ErrorCode, unauthenticated } from "../errors";
import { assertOwner, isIdentityId } from "../identity/validation";
import type { GraphQLContext } from "./context";

/** Our entities and what a well-formed key looks like for each. */
const ENTITY_IDS: Readonly<Record<string, (id: string) => boolean>> = {
  CommunicationIdentity: isIdentityId,
  User: (id) => {
    try {
      assertOwner(id);
      return true;
    } catch {
      return false;
    }
  },
};

/** The representations' problem, if any: the first bad item is named, with how many are bad. */
export function representationsProblem(representations: unknown, max: number): string | undefined {
  if (!Array.isArray(representations)) return "representations must be a list.";
  if (representations.length > max) {
    return `At most ${max} representations per request (found ${representations.length}). Split the request.`;
  }
  const bad: string[] = [];
  representations.forEach((item: unknown, index) => {
    const { __typename: type, id } = (item ?? {}) as { __typename?: unknown; id?: unknown };
    const valid = typeof type === "string" && Object.hasOwn(ENTITY_IDS, type) ? ENTITY_IDS[type] : undefined;
    if (!valid)
      bad.push(`representations[${index}]: __typename must be one of ${Object.keys(ENTITY_IDS).join(", ")}`);
    else if (typeof id !== "string" || !valid(id))
      bad.push(`representations[${index}]: id is not a well-formed ${type} id`);
  });
  if (bad.length === 0) return undefined;
  return `${bad[0]}${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ""}.`;
}

/**
 * Wraps the subgraph's `_entities` resolver with the checks above. Anonymous callers are refused
 * first: nothing of ours is visible to them, and the check costs nothing.
 */
export function guardEntities(schema: GraphQLSchema, maxRepresentations: number): GraphQLSchema {
  const field = schema.getQueryType()?.getFields()._entities;
  if (!field?.resolve) throw new Error("The subgraph schema has no _entities resolver to guard.");
  const resolve = field.resolve as GraphQLFieldResolver<unknown, GraphQLContext>;
  field.resolve = (source, args: { representations?: unknown }, context: GraphQLContext, info) => {
    if (context.caller?.subject == null) throw unauthenticated();
    const problem = representationsProblem(args.representations, maxRepresentations);
    if (problem) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, problem, { field: "representations" });
    }
    return resolve(source, args, context, info);
  };
  return schema;
}
