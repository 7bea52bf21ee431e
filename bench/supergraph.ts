// The supergraph the router serves: the committed subgraph schema (schema.graphql, what `rover subgraph
// publish` sends) composed with its SECURITY links kept, routed to one round's service. Written to a
// file, as `rover supergraph compose` would, for the router process to read.
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const SUBGRAPH_SCHEMA = path.resolve(__dirname, "../../schema.graphql");

/** Composes the `identity` subgraph at `graphqlUrl` into `file`; throws on composition errors. */
export function writeSupergraph(graphqlUrl: string, file: string): void {
  const composed = composeServices([
    { name: "identity", typeDefs: parse(readFileSync(SUBGRAPH_SCHEMA, "utf8")), url: graphqlUrl },
  ]);
  if (composed.errors?.length || !composed.supergraphSdl)
    throw new Error(`supergraph composition failed: ${composed.errors?.map((e) => e.message).join("; ")}`);
  // Without the SECURITY links the router would not enforce @authenticated/@requiresScopes.
  if (!composed.supergraphSdl.includes("for: SECURITY"))
    throw new Error("the composed supergraph lost its SECURITY links");
  writeFileSync(file, composed.supergraphSdl);
}
