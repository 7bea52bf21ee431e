// Platform teams compose this service into their supergraph: composition beside independent
// subgraphs must succeed with no errors and only hints we have judged.
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { printServiceSchema } from "../../scripts/write-schema";
import { RELAY_NEIGHBOUR_TYPE_DEFS } from "./relay-neighbour";
import { USERS_TYPE_DEFS } from "./users-subgraph";

const compose = async (neighbour: string) =>
  composeServices([
    { name: "identity", typeDefs: parse(await printServiceSchema()), url: "http://identity.example/graphql" },
    { name: "neighbour", typeDefs: parse(neighbour), url: "http://neighbour.example/graphql" },
  ]);

const hintsOf = (result: Awaited<ReturnType<typeof compose>>) =>
  (result.hints ?? []).map((hint) => `${hint.definition.code}: ${hint.message}`);

test("composes with an independent users subgraph", async () => {
  const result = await compose(USERS_TYPE_DEFS);
  expect(result.errors).toBeUndefined();
  // Judged hints: none expected. A new hint fails this test until someone reads it and decides.
  expect(hintsOf(result)).toEqual([]);
  const supergraph = result.supergraphSdl!;
  expect(supergraph).toMatch(/type User[\s\S]*communicationIdentity: CommunicationIdentity/);
  expect(supergraph).toContain("@requiresScopes");
  expect(supergraph).toContain("@authenticated");
});

test("composes beside a Relay subgraph with its own Node, PageInfo and connections", async () => {
  const result = await compose(RELAY_NEIGHBOUR_TYPE_DEFS);
  expect(result.errors?.map((error) => error.message)).toBeUndefined();
  expect(hintsOf(result)).toEqual([]);
  const supergraph = result.supergraphSdl!;
  // One PageInfo, resolvable by both subgraphs, with the four Relay fields.
  const pageInfo = /type PageInfo[^{]*\{([^}]*)\}/.exec(supergraph)![1];
  expect([...pageInfo.matchAll(/^\s*(\w+)(?=[(:])/gm)].map((m) => m[1]).sort()).toEqual([
    "endCursor",
    "hasNextPage",
    "hasPreviousPage",
    "startCursor",
  ]);
  expect(supergraph).toMatch(
    /type PageInfo[^{]*@join__type\(graph: IDENTITY\)[^{]*@join__type\(graph: NEIGHBOUR\)/,
  );
});

test("our connections follow the Relay connection spec", async () => {
  const { buildSchema, isNonNullType, isListType, getNamedType } = await import("graphql");
  const sdl = (await printServiceSchema()).replace(/@\w+(\([^)]*\))?/g, "").replace(/extend schema\s*/, "");
  const schema = buildSchema(`${sdl}\nscalar _Any`, { assumeValidSDL: true });
  const connections = Object.values(schema.getTypeMap()).filter((type) => type.name.endsWith("Connection"));
  expect(connections.map((type) => type.name).sort()).toEqual([
    "AuditEventConnection",
    "CommunicationIdentityConnection",
  ]);
  for (const connection of connections) {
    const fields = (connection as import("graphql").GraphQLObjectType).getFields();
    // edges: [Edge!]!, each edge { cursor: String!, node: T! }; pageInfo: PageInfo!
    expect(isNonNullType(fields.edges.type) && isListType(fields.edges.type.ofType)).toBe(true);
    const edge = getNamedType(fields.edges.type) as import("graphql").GraphQLObjectType;
    expect(edge.name).toBe(connection.name.replace(/Connection$/, "Edge"));
    expect(String(edge.getFields().cursor.type)).toBe("String!");
    expect(String(edge.getFields().node.type)).toBe(`${connection.name.replace(/Connection$/, "")}!`);
    expect(String(fields.pageInfo.type)).toBe("PageInfo!");
  }
  const pageInfo = schema.getType("PageInfo") as import("graphql").GraphQLObjectType;
  expect(
    Object.fromEntries(Object.values(pageInfo.getFields()).map((field) => [field.name, String(field.type)])),
  ).toEqual({
    hasNextPage: "Boolean!",
    hasPreviousPage: "Boolean!",
    startCursor: "String",
    endCursor: "String",
  });
});
