import { Directive, Field, ID, ObjectType } from "type-graphql";
import { TokenScope } from "./token-scope";

@Directive("@authenticated")
@ObjectType({ description: "One recorded action on an identity or its tokens. Never contains a token." })
export class AuditEvent {
  @Field(() => ID, { description: "The event's id." })
  id!: string;

  @Field({ description: "When it happened." })
  at!: Date;

  @Field({ description: "Who did it: the caller's subject, or `anonymous`." })
  actor!: string;

  @Field({ description: "What was done: identity.create, token.issue, token.revoke or identity.delete." })
  action!: string;

  @Field(() => String, { nullable: true, description: "The ACS identity acted on, when known." })
  identityId!: string | null;

  @Field(() => [TokenScope], { nullable: true, description: "The scopes asked for, for token issues." })
  scopes!: TokenScope[] | null;

  @Field(() => Date, {
    nullable: true,
    description: "The expiry of the issued token, for successful token issues.",
  })
  expiresOn!: Date | null;

  @Field({ description: "success, denied (the policy said no) or failed." })
  outcome!: string;

  @Field(() => String, {
    nullable: true,
    description: "The error code (`extensions.code`) when the action did not succeed.",
  })
  errorCode!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The request id, to find the request in the service's logs.",
  })
  requestId!: string | null;
}
