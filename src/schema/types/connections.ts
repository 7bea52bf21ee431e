// Relay-shaped connections (https://relay.dev/graphql/connections.htm): `edges { cursor node }` and
// a full PageInfo, with `nodes` kept as a shortcut. Pagination is forward only (`first`/`after`).
import { Directive, Field, ObjectType } from "type-graphql";
import type { Page } from "../../identity/model";
import { AuditEvent } from "./audit-event";
import { CommunicationIdentity } from "./communication-identity";

// Shareable: PageInfo is among the most common type names in a supergraph, and every subgraph with
// connections defines the same four fields. Both sides must mark it @shareable for composition.
@Directive("@shareable")
@ObjectType({ description: "Where a page starts and ends, and whether more items follow (Relay PageInfo)." })
export class PageInfo {
  @Field({ description: "True when more items follow this page." })
  hasNextPage!: boolean;

  @Field({
    description:
      "Always false: pages go forward only (`first`/`after`), which the Relay spec allows to answer false.",
  })
  hasPreviousPage!: boolean;

  @Field(() => String, {
    nullable: true,
    description: "The cursor of the first item; null on an empty page.",
  })
  startCursor!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Pass as `after` to get the next page; null on an empty page.",
  })
  endCursor!: string | null;
}

@ObjectType({ description: "One identity in a page, with its cursor." })
export class CommunicationIdentityEdge {
  @Field({ description: "Pass as `after` to get the items after this one." })
  cursor!: string;

  @Field(() => CommunicationIdentity, { description: "The identity." })
  node!: CommunicationIdentity;
}

@ObjectType({ description: "A page of identities, oldest first." })
export class CommunicationIdentityConnection {
  @Field(() => [CommunicationIdentityEdge], { description: "The identities on this page, with cursors." })
  edges!: CommunicationIdentityEdge[];

  @Field(() => [CommunicationIdentity], { description: "The identities on this page (`edges.node`)." })
  nodes!: CommunicationIdentity[];

  @Field(() => PageInfo, { description: "Where this page starts and ends." })
  pageInfo!: PageInfo;
}

@ObjectType({ description: "One audit event in a page, with its cursor." })
export class AuditEventEdge {
  @Field({ description: "Pass as `after` to get the items after this one." })
  cursor!: string;

  @Field(() => AuditEvent, { description: "The event." })
  node!: AuditEvent;
}

@ObjectType({ description: "A page of audit events, newest first." })
export class AuditEventConnection {
  @Field(() => [AuditEventEdge], { description: "The events on this page, with cursors." })
  edges!: AuditEventEdge[];

  @Field(() => [AuditEvent], { description: "The events on this page (`edges.node`)." })
  nodes!: AuditEvent[];

  @Field(() => PageInfo, { description: "Where this page starts and ends." })
  pageInfo!: PageInfo;
}

/** A store page as a Relay connection: each item's cursor is the store's position of that item. */
export function toConnection<Item, Node>(page: Page<Item>, toNode: (item: Item) => Node) {
  const nodes = page.items.map(toNode);
  return {
    edges: nodes.map((node, index) => ({ cursor: page.cursors[index], node })),
    nodes,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: false,
      startCursor: page.cursors[0] ?? null,
      endCursor: page.endCursor,
    },
  };
}
