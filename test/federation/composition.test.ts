// Platform teams compose this service into their supergraph: composition with an independent users
// subgraph must succeed with no errors and only hints we have judged.
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { printServiceSchema } from "../../scripts/write-schema";
import { USERS_TYPE_DEFS } from "./users-subgraph";

test("composes with an independent users subgraph", async () => {
  const result = composeServices([
    { name: "identity", typeDefs: parse(await printServiceSchema()), url: "http://identity.example/graphql" },
    { name: "users", typeDefs: parse(USERS_TYPE_DEFS), url: "http://users.example/graphql" },
  ]);
  expect(result.errors).toBeUndefined();
  // Judged hints: none expected. A new hint fails this test until someone reads it and decides.
  expect((result.hints ?? []).map((hint) => `${hint.definition.code}: ${hint.message}`)).toEqual([]);
  const supergraph = result.supergraphSdl!;
  expect(supergraph).toMatch(/type User[\s\S]*communicationIdentity: CommunicationIdentity/);
  expect(supergraph).toContain("@requiresScopes");
  expect(supergraph).toContain("@authenticated");
});
