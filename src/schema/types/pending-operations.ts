import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { CommunicationIdentity } from "./communication-identity";

export enum CreationOutcome {
  PENDING = "pending",
  UNKNOWN = "unknown",
}
registerEnumType(CreationOutcome, {
  name: "CreationOutcome",
  description: "Where an ACS create whose answer is not stored stands.",
  valuesConfig: {
    PENDING: { description: "ACS was asked and its answer is not stored yet; the reconciler resumes it." },
    UNKNOWN: {
      description:
        "ACS may have made an identity that cannot be found again (a create without customId): an operator must look.",
    },
  },
});

@ObjectType({ description: "An ACS create whose answer is not stored yet (see docs/consistency.md)." })
export class PendingIdentityCreation {
  @Field(() => String, { nullable: true, description: "The user the identity is for; null for none." })
  owner!: string | null;

  @Field({ description: "Who asked for it (a token subject)." })
  createdBy!: string;

  @Field(() => String, {
    nullable: true,
    description: "The request that asked for it, as in the audit trail.",
  })
  requestId!: string | null;

  @Field({ description: "When ACS was first asked." })
  requestedAt!: Date;

  @Field(() => CreationOutcome, { description: "PENDING (to be resumed) or UNKNOWN (an operator's)." })
  outcome!: CreationOutcome;

  @Field(() => String, {
    nullable: true,
    description:
      "The identity ACS made, when known but not yet stored (the reconciler stores or deletes it).",
  })
  identityId!: string | null;
}

@ObjectType({ description: "What failures left half done, for an operator." })
export class PendingIdentityOperations {
  @Field(() => [CommunicationIdentity], {
    description: "Identities whose delete was requested and has not completed in ACS, oldest request first.",
  })
  deletes!: CommunicationIdentity[];

  @Field(() => [PendingIdentityCreation], {
    description: "Creates whose answer is not stored, oldest first.",
  })
  creations!: PendingIdentityCreation[];
}

@ObjectType({ description: "What one reconciler pass did." })
export class ReconcileReport {
  @Field(() => Int, { description: "Requested deletes now complete in ACS and here." })
  completedDeletes!: number;

  @Field(() => Int, { description: "Identities ACS made that are now stored, with their audit event." })
  recordedCreates!: number;

  @Field(() => Int, { description: "Surplus identities ACS made for an owner who had one: deleted again." })
  discardedCreates!: number;

  @Field(() => Int, { description: "Creates with an unknown outcome (no customId) left for an operator." })
  unresolvedCreates!: number;

  @Field(() => Int, { description: "Items that failed this pass; the next pass retries them." })
  failures!: number;
}
