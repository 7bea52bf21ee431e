import { Directive, Field, ID, ObjectType } from "type-graphql";

// The graph's User entity, owned by another subgraph; this service only adds fields to it.
@Directive('@key(fields: "id")')
@ObjectType({ description: "A user of the larger graph. This service adds the user's ACS identity." })
export class User {
  @Field(() => ID, { description: "The user's id: the same value as the `sub` of their bearer token." })
  id!: string;
}
