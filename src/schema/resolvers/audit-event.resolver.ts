import { Args, ArgsType, Ctx, Field, ID, Int, Query, Resolver } from "type-graphql";
import type { Caller } from "../../identity";
import { CurrentCaller, Guard } from "../guard";
import type { GraphQLContext } from "../context";
import { AuditEvent } from "../types/audit-event";
import { AuditEventConnection, toConnection } from "../types/connections";
import { toTokenScopes } from "../types/token-scope";

@ArgsType()
class ListAuditArgs {
  @Field(() => Int, { defaultValue: 50, description: "How many events to return, 1 to 100." })
  first!: number;

  @Field(() => String, { nullable: true, description: "The `pageInfo.endCursor` of the previous page." })
  after?: string | null;

  @Field(() => ID, { nullable: true, description: "Only events about this ACS identity." })
  identityId?: string | null;

  @Field(() => String, { nullable: true, description: "Only events by this actor (a token subject)." })
  actor?: string | null;
}

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @Guard("audit:read")
  @Query(() => AuditEventConnection, { description: "The audit trail, newest first. Needs audit:read." })
  async auditEvents(
    @Args() args: ListAuditArgs,
    @Ctx() { identities }: GraphQLContext,
    @CurrentCaller() caller: Caller,
  ) {
    return toConnection(await identities.queries.auditEvents(caller, args), (event) => ({
      ...event,
      scopes: event.scopes && toTokenScopes(event.scopes),
    }));
  }
}
