import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { Guard } from "../guard";
import type { GraphQLContext } from "../context";
import { CommunicationIdentity } from "../types/communication-identity";
import { User } from "../types/user";

@Resolver(() => User)
export class UserResolver {
  @Guard()
  @FieldResolver(() => CommunicationIdentity, {
    nullable: true,
    description:
      "The user's ACS identity, or null if they have none yet (or you may not see it: yours, or any with identity:read).",
  })
  communicationIdentity(@Root() user: User, @Ctx() { loaders }: GraphQLContext) {
    return loaders.byOwner.load(user.id);
  }
}
