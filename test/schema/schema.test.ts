// The schema is the contract: documented everywhere, deny-by-default, and a valid Federation 2 subgraph.
import "reflect-metadata";
import { isEnumType, isInputObjectType, isObjectType, type GraphQLSchema } from "graphql";
import { getMetadataStorage } from "type-graphql";
import { buildFederatedSchema } from "../../src/schema/build-schema";
import { GUARDED_ACTIONS } from "../../src/schema/operations";

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildFederatedSchema();
});

const FEDERATION_TYPES = /^(_|link__|join__|federation__)/;

test("every type, field, argument and enum value has a description", () => {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (FEDERATION_TYPES.test(type.name)) continue;
    if (["String", "Boolean", "Int", "Float", "ID"].includes(type.name)) continue;
    // User belongs to the users subgraph, whose description the supergraph uses.
    if (!type.description && !["Query", "Mutation", "User"].includes(type.name)) missing.push(type.name);
    if (isObjectType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (field.name.startsWith("_")) continue;
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of "args" in field ? field.args : []) {
          if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues())
        if (!value.description) missing.push(`${type.name}.${value.name}`);
    }
  }
  expect(missing).toEqual([]);
});

test("every query and mutation states who may use it (deny by default)", () => {
  const storage = getMetadataStorage();
  const guarded = new Set(storage.authorizedFields.map((f) => `${f.target.name}.${f.fieldName}`));
  const PUBLIC = new Set(["viewer"]); // answers "you are anonymous" to anonymous callers
  const unguarded = [...storage.queries, ...storage.mutations]
    .filter((handler) => !guarded.has(`${handler.target.name}.${handler.methodName}`))
    .map((handler) => handler.schemaName)
    .filter((name) => !PUBLIC.has(name));
  expect(unguarded).toEqual([]);
});

test("every guarded field names the audit action its refusals are recorded under", () => {
  const guarded = getMetadataStorage().authorizedFields.map((field) => field.fieldName);
  expect(guarded.length).toBeGreaterThan(0);
  expect(guarded.filter((name) => !Object.hasOwn(GUARDED_ACTIONS, name))).toEqual([]);
  // and nothing stale: every entry belongs to a guarded field
  expect(Object.keys(GUARDED_ACTIONS).filter((name) => !guarded.includes(name))).toEqual([]);
});

test("the schema is a Federation 2 subgraph with CommunicationIdentity and User as entities", () => {
  const entity = schema.getType("_Entity");
  expect(entity).toBeDefined();
  expect(
    (entity as unknown as { getTypes(): Array<{ name: string }> })
      .getTypes()
      .map((t) => t.name)
      .sort(),
  ).toEqual(["CommunicationIdentity", "User"]);
});
