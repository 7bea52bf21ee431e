// Builds the service's schema as a Federation 2 subgraph: type-graphql builds and prints the schema
// with its directives, the federation @link is prepended, and the reference resolvers are merged in.
import { buildSubgraphSchema } from "@apollo/subgraph";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { parse, type GraphQLSchema } from "graphql";
import "reflect-metadata";
import { buildSchema, createResolversMap } from "type-graphql";
import { createAuthChecker } from "../auth/auth-checker";
import type { GraphQLContext } from "./context";
import { recordGuardDenial } from "./guard";
import { guardEntities } from "./entities-guard";
import { referenceResolvers } from "./reference-resolvers";
import { AccessTokenResolver } from "./resolvers/access-token.resolver";
import { AuditEventResolver } from "./resolvers/audit-event.resolver";
import { CommunicationIdentityResolver } from "./resolvers/communication-identity.resolver";
import { ReconcileResolver } from "./resolvers/reconcile.resolver";
import { TeamsResolver } from "./resolvers/teams.resolver";
import { UserResolver } from "./resolvers/user.resolver";
import { ViewerResolver } from "./resolvers/viewer.resolver";
import { CommunicationIdentity } from "./types/communication-identity";
import { User } from "./types/user";

export const FEDERATION_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@authenticated", "@requiresScopes"])`;

export interface FederatedSchemaOptions {
  /** Most `_entities` representations one request may send (MAX_ENTITY_REPRESENTATIONS). */
  maxRepresentations?: number;
}

export async function buildFederatedSchema(options: FederatedSchemaOptions = {}): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [
      ViewerResolver,
      CommunicationIdentityResolver,
      AccessTokenResolver,
      AuditEventResolver,
      TeamsResolver,
      UserResolver,
      ReconcileResolver,
    ],
    orphanedTypes: [User, CommunicationIdentity],
    // Refusals by the guard are recorded in the audit trail like the core's own.
    authChecker: createAuthChecker<GraphQLContext>(recordGuardDenial),
    authMode: "error",
    validate: false,
    skipCheck: true,
  });
  const typeDefs = parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`);
  const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  for (const [typeName, extra] of Object.entries(referenceResolvers)) {
    resolvers[typeName] = { ...resolvers[typeName], ...extra };
  }
  // buildSubgraphSchema's resolver map type is stricter than type-graphql's; the shapes match at run time.
  return guardEntities(
    buildSubgraphSchema({ typeDefs, resolvers: resolvers as never }),
    options.maxRepresentations ?? 100,
  );
}
