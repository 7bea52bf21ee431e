import { Field, Int, ObjectType } from "type-graphql";
import { TokenScope } from "./token-scope";

@ObjectType({ description: "Who the caller is, and what this service's policy lets them do." })
export class Viewer {
  @Field({ description: "True when the request carried a valid bearer token." })
  authenticated!: boolean;

  @Field(() => String, {
    nullable: true,
    description: "The caller's subject (the token's `sub`); null when anonymous.",
  })
  subject!: string | null;

  @Field(() => [String], { description: "The caller's roles, as read from the bearer token." })
  roles!: string[];

  @Field(() => [String], {
    description:
      "What the caller may do: mint:self, mint:any, identity:create, token:revoke, identity:delete, identity:read, audit:read.",
  })
  permissions!: string[];

  @Field(() => [TokenScope], { description: "The token scopes the caller may ask for." })
  allowedScopes!: TokenScope[];

  @Field(() => Int, {
    description:
      "The longest token lifetime, in minutes, the caller may ask for (0 when the caller may not mint).",
  })
  maxTokenLifetimeMinutes!: number;
}
