import { Directive, Field, ID, ObjectType } from "type-graphql";

// The graph's User entity, owned by another subgraph; this service only adds fields to it. No type
// description here: the owning subgraph's is the one the supergraph should show.
@Directive('@key(fields: "id")')
@ObjectType()
export class User {
  @Field(() => ID, { description: "The user's id: the same value as the `sub` of their bearer token." })
  id!: string;
}
