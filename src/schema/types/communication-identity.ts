import { Directive, Field, ID, ObjectType } from "type-graphql";

@Directive('@key(fields: "id")')
@Directive("@authenticated")
@ObjectType({ description: "An Azure Communication Services user identity managed by this service." })
export class CommunicationIdentity {
  @Field(() => ID, {
    description:
      "The ACS identity id (`8:acs:<resource>_<user>`). Pass it to the ACS Chat and Calling SDKs as `communicationUserId`.",
  })
  id!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "The user (token subject) this identity belongs to; null for identities created without an owner.",
  })
  owner!: string | null;

  @Field({ description: "When this service created the identity." })
  createdAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: "When a token was last issued for this identity through this service.",
  })
  lastTokenIssuedAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: "When all tokens issued before this moment were revoked; null if never revoked.",
  })
  tokensRevokedAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      "When the identity was deleted in ACS; null while it exists. A deleted identity's tokens are invalid.",
  })
  deletedAt!: Date | null;
}
