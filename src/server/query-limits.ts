// Limits on what one GraphQL request may ask for, checked before anything runs: a rejected operation
// reaches no resolver, so it makes no ACS call and writes nothing. The shape limits come from GraphQL
// Armor; the root-field limit and the one-mint-per-operation rule are this service's own, because no
// maintained package knows which mutations spend ACS quota.
import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { MaxTokensParserWLexer } from "@escape.tech/graphql-armor-max-tokens";
import {
  GraphQLError,
  Kind,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import { SINGLE_MINT_MUTATIONS } from "../schema/operations";
import { queryOf, sendJson, type Middleware, type Req, type Res } from "./middleware";

/** The limits checked by validation rules; the token limit is `maxTokensMiddleware`'s. */
export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxDirectives: number;
  maxCost: number;
  /** False hides the federation `_service { sdl }` field too: it is the whole schema. */
  introspection: boolean;
}

/**
 * Names a rejection in `extensions.limit`, next to `extensions.code: GRAPHQL_VALIDATION_FAILED`, so a
 * client can tell which limit it hit without parsing the message.
 */
export type QueryLimitName =
  | "depth"
  | "aliases"
  | "rootFields"
  | "tokens"
  | "directives"
  | "cost"
  | "oneMintPerOperation"
  | "introspection";

/** A rejection with a stable shape; Apollo wraps it as GRAPHQL_VALIDATION_FAILED with status 400. */
export function limitError(limit: QueryLimitName, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { limit } });
}

// GraphQL Armor reports through callbacks; report into the validation context (all errors of a
// request are returned together, as for graphql's own rules) instead of throwing out of validate().
// Armor prefixes its messages with "Syntax Error:", which these are not.
function armorReport(limit: QueryLimitName, accepted?: (n: number) => void) {
  return {
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(limitError(limit, error.message.replace(/^Syntax Error: /, ""))),
    ],
    onAccept: accepted ? [(_context: ValidationContext | null, { n }: { n: number }) => accepted(n)] : [],
  };
}

/**
 * How often each root field occurs in an operation, reached through inline fragments and fragment
 * spreads (each spread counted where it occurs, as a client could repeat it). Counts, not lists, and
 * memoised per fragment: fragments that spread the next one twice would otherwise make this exponential.
 * A fragment cycle (reported by graphql's own rule) counts as empty.
 */
function rootFieldCounts(
  context: ValidationContext,
  operation: OperationDefinitionNode,
): Map<string, number> {
  const memo = new Map<string, Map<string, number>>();
  const inProgress = new Set<string>();
  const add = (into: Map<string, number>, from: Map<string, number>) => {
    for (const [name, n] of from) into.set(name, (into.get(name) ?? 0) + n);
  };
  const fromFragment = (fragment: FragmentDefinitionNode): Map<string, number> => {
    const name = fragment.name.value;
    const known = memo.get(name);
    if (known) return known;
    if (inProgress.has(name)) return new Map();
    inProgress.add(name);
    const counts = fromSelectionSet(fragment.selectionSet);
    inProgress.delete(name);
    memo.set(name, counts);
    return counts;
  };
  const fromSelectionSet = (selectionSet: SelectionSetNode): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD)
        counts.set(selection.name.value, (counts.get(selection.name.value) ?? 0) + 1);
      else if (selection.kind === Kind.INLINE_FRAGMENT) add(counts, fromSelectionSet(selection.selectionSet));
      else {
        const fragment = context.getFragment(selection.name.value);
        if (fragment) add(counts, fromFragment(fragment));
      }
    }
    return counts;
  };
  return fromSelectionSet(operation.selectionSet);
}

const sum = (counts: Map<string, number>, include: (name: string) => boolean) =>
  [...counts].reduce((total, [name, n]) => (include(name) ? total + n : total), 0);

/** At most `max` root fields per operation (`__typename` is free): bounds fan-out at the top. */
export function maxRootFieldsRule(max: number, accepted?: (n: number) => void): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const count = sum(rootFieldCounts(context, operation), (name) => name !== "__typename");
      if (count > max) {
        context.reportError(
          limitError(
            "rootFields",
            `Root fields limit of ${max} exceeded, found ${count}. Split the operation.`,
          ),
        );
      } else accepted?.(count);
    },
  });
}

/** At most one of SINGLE_MINT_MUTATIONS per operation, however it is aliased or spread. */
export function oneMintPerOperationRule(): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      if (operation.operation !== "mutation") return;
      const counts = rootFieldCounts(context, operation);
      const mints = sum(counts, (name) => SINGLE_MINT_MUTATIONS.has(name));
      if (mints > 1) {
        const names = [...counts.keys()].filter((name) => SINGLE_MINT_MUTATIONS.has(name));
        context.reportError(
          limitError(
            "oneMintPerOperation",
            `An operation may mint or create at most once (found ${mints}: ${names.join(", ")}). ` +
              "Send each token or identity request in its own operation.",
          ),
        );
      }
    },
  });
}

/**
 * With introspection off, the federation `_service { sdl }` field would still hand out the whole schema.
 * A gateway that composes at run time (IntrospectAndCompose) then needs INTROSPECTION=true; one that is
 * given a supergraph (Apollo Router with a file or GraphOS) does not ask for it.
 */
export function noServiceSdlRule(): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      if (operation.operation !== "query") return;
      if (rootFieldCounts(context, operation).has("_service")) {
        context.reportError(
          limitError("introspection", "GraphQL introspection is not allowed, and neither is `_service`."),
        );
      }
    },
  });
}

/** Measured sizes of one accepted operation (for tests and for choosing the limits). */
export interface QueryMeasure {
  depth?: number;
  aliases?: number;
  rootFields?: number;
  directives?: number;
  cost?: number;
}

/** Validation rules for every limit but tokens (which must act before parsing: see `maxTokensMiddleware`). */
export function queryLimitRules(limits: QueryLimits, measure?: QueryMeasure): ValidationRule[] {
  const record = (key: keyof QueryMeasure) => (measure ? (n: number) => (measure[key] = n) : undefined);
  return [
    // Fragments are measured by the fields they contain, so a client using fragments is not penalised.
    maxDepthRule({
      n: limits.maxDepth,
      flattenFragments: true,
      ignoreIntrospection: true,
      ...armorReport("depth", record("depth")),
    }),
    maxAliasesRule({ n: limits.maxAliases, ...armorReport("aliases", record("aliases")) }),
    maxRootFieldsRule(limits.maxRootFields, record("rootFields")),
    maxDirectivesRule({ n: limits.maxDirectives, ...armorReport("directives", record("directives")) }),
    // Armor's default weights (object 2, scalar 1, 1.5 per level, a literal `first` multiplies its list).
    costLimitRule({
      maxCost: limits.maxCost,
      flattenFragments: true,
      ignoreIntrospection: true,
      ...armorReport("cost", record("cost")),
    }),
    oneMintPerOperationRule(),
    ...(limits.introspection ? [] : [noServiceSdlRule()]),
  ];
}

/** The number of lexical tokens in `source`, or undefined when there are more than `max`. */
export function countTokens(source: string, max: number): number | undefined {
  let rejected = false;
  const parser = new MaxTokensParserWLexer(source, {
    n: max,
    propagateOnRejection: true,
    onReject: [() => (rejected = true)],
  });
  try {
    parser.parseDocument();
  } catch {
    // A syntax error below the limit is left to Apollo's own parse, which reports it as usual.
  }
  return rejected ? undefined : parser.tokenCount;
}

/**
 * The token limit, enforced before Apollo parses the document (and before authentication): Apollo
 * Server has no hook to replace its parser, so GraphQL Armor's Envelop plugin cannot be used, and an
 * error thrown from a plugin's `didResolveSource` becomes a 500. So the query text (POST body or GET
 * `query` parameter) is read here by Armor's counting parser, which gives up at the first token over
 * the limit: parsing never costs more than `maxTokens` tokens. An accepted document is parsed twice,
 * well under a millisecond at 2000 tokens, and only documents longer than the limit in characters are
 * counted at all. Batches are left to Apollo, which refuses them.
 */
export function maxTokensMiddleware(maxTokens: number, onReject?: (req: Req, res: Res) => void): Middleware {
  return (req, res, next) => {
    const query =
      req.method === "GET" ? queryOf(req).query : (req.body as { query?: unknown } | undefined)?.query;
    // Every token but EOF spans at least one character, so a document no longer than the limit cannot
    // exceed it: the common request (a mint is ~150 characters) skips the second parse altogether.
    if (
      typeof query !== "string" ||
      query.length <= maxTokens ||
      countTokens(query, maxTokens) !== undefined
    ) {
      next();
      return;
    }
    onReject?.(req, res);
    sendJson(res, 400, {
      errors: [
        {
          message: `Token limit of ${maxTokens} exceeded.`,
          extensions: { code: "GRAPHQL_VALIDATION_FAILED", limit: "tokens" satisfies QueryLimitName },
        },
      ],
    });
  };
}
