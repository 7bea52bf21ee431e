import { Directive, Field, ID, Int, ObjectType } from "type-graphql";
import { TokenScope } from "./token-scope";

@Directive("@authenticated")
@ObjectType({
  description:
    "One recorded action on an identity or its tokens, or one refused attempt. Every create, token issue, revoke and delete is recorded (whatever its outcome), and so is every refusal of a signed-in caller, reads included; refusals of anonymous callers are not. Never contains a token.",
})
export class AuditEvent {
  @Field(() => ID, { description: "The event's id." })
  id!: string;

  @Field({ description: "When it happened." })
  at!: Date;

  @Field({
    description:
      "Who did it: the caller's subject, or `anonymous` for a caller without a token (`callerKind` tells the two apart).",
  })
  actor!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "`subject` (a token's subject, even one that reads `anonymous`) or `anonymous` (no token). Null for events recorded before it was.",
  })
  callerKind!: string | null;

  @Field(() => Int, {
    description:
      "How many identical attempts this event stands for: 1, except for a denial repeated (same actor, action, identity, code and operation) within the aggregation window (AUDIT_DENIAL_WINDOW_SECONDS).",
  })
  count!: number;

  @Field({
    description:
      "What was done or attempted: identity.create, token.issue, token.revoke, identity.delete; and, for refused attempts only, identity.read, identity.list, audit.read or identity.reconcile.",
  })
  action!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "The API operation that acted or was refused, as `Type.field` (e.g. `Mutation.issueAccessToken`). Null for events recorded before operations were.",
  })
  operation!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The ACS identity acted on, or named by a refused attempt, when known and well-formed (even if no such identity exists).",
  })
  identityId!: string | null;

  @Field(() => [TokenScope], { nullable: true, description: "The scopes asked for, for token issues." })
  scopes!: TokenScope[] | null;

  @Field(() => Date, {
    nullable: true,
    description: "The expiry of the issued token, for successful token issues.",
  })
  expiresOn!: Date | null;

  @Field({
    description:
      "success; denied (the policy said no, including an identity the caller may not see, which was answered as not found); or failed (allowed, but it did not complete).",
  })
  outcome!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "The error code when the action did not succeed: the `extensions.code` answered, except for a denied attempt on an identity hidden from the caller (who was answered NOT_FOUND), where it is the truth: FORBIDDEN if the identity is known here (even deleted) and is not theirs, NOT_FOUND if it never was.",
  })
  errorCode!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The service's own id of the request (its x-request-id response header), to find it in the service's logs.",
  })
  requestId!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The x-request-id the client sent, when it was 8 to 64 letters, digits or `._-`: the client's claim, for correlating with its own logs, never the service's id.",
  })
  clientRequestId!: string | null;
}
