// An independent `users` subgraph, as another team would write it: plain @apollo/subgraph.
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";

export const USERS_TYPE_DEFS = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])

  type Query {
    "All users."
    users(first: Int = 100): [User!]!
  }

  "A person using the product."
  type User @key(fields: "id") {
    id: ID!
    "Display name."
    name: String!
  }
`;

export const USER_IDS = Array.from({ length: 100 }, (_, i) => `user-${String(i).padStart(3, "0")}`);

export function usersSchema() {
  return buildSubgraphSchema({
    typeDefs: parse(USERS_TYPE_DEFS),
    resolvers: {
      Query: {
        users: (_: unknown, { first }: { first: number }) =>
          USER_IDS.slice(0, first).map((id) => ({ id, name: `Name of ${id}` })),
      },
      User: { __resolveReference: ({ id }: { id: string }) => ({ id, name: `Name of ${id}` }) },
    },
  });
}

/** Apollo's default logger prints to the console; these tests assert on results instead. */
export const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

export async function startUsersSubgraph(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = new ApolloServer({ schema: usersSchema(), logger: quietLogger });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  return { url, stop: () => server.stop() };
}
