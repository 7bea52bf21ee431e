// A neighbour subgraph as a Relay-minded team would write it: its own `Node` interface and
// `node` field, a Relay `PageInfo` (marked @shareable, as Federation 2 asks of value types every
// subgraph defines) and its own connections over the `User` entity.
export const RELAY_NEIGHBOUR_TYPE_DEFS = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])

  interface Node {
    id: ID!
  }

  type Query {
    node(id: ID!): Node
    users(first: Int, after: String, last: Int, before: String): UserConnection!
  }

  type User implements Node @key(fields: "id") {
    id: ID!
    name: String!
    friends(first: Int, after: String): UserConnection!
  }

  type UserConnection {
    edges: [UserEdge!]!
    nodes: [User!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type UserEdge {
    cursor: String!
    node: User!
  }

  type PageInfo @shareable {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }
`;
