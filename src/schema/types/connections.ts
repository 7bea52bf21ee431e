import { Field, ObjectType } from "type-graphql";
import { AuditEvent } from "./audit-event";
import { CommunicationIdentity } from "./communication-identity";

@ObjectType({ description: "Where a page ends, and whether another follows." })
export class PageInfo {
  @Field(() => String, {
    nullable: true,
    description: "Pass as `after` to get the next page; null on an empty page.",
  })
  endCursor!: string | null;

  @Field({ description: "True when more items follow this page." })
  hasNextPage!: boolean;
}

@ObjectType({ description: "A page of identities, oldest first." })
export class CommunicationIdentityConnection {
  @Field(() => [CommunicationIdentity], { description: "The identities on this page." })
  nodes!: CommunicationIdentity[];

  @Field(() => PageInfo, { description: "How to get the next page." })
  pageInfo!: PageInfo;
}

@ObjectType({ description: "A page of audit events, newest first." })
export class AuditEventConnection {
  @Field(() => [AuditEvent], { description: "The events on this page." })
  nodes!: AuditEvent[];

  @Field(() => PageInfo, { description: "How to get the next page." })
  pageInfo!: PageInfo;
}
