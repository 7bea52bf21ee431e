import { Arg, Args, ArgsType, Ctx, Field, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { Caller } from "../../identity";
import { CurrentCaller, Guard } from "../guard";
import type { GraphQLContext } from "../context";
import { CommunicationIdentity } from "../types/communication-identity";
import { CommunicationIdentityConnection, toConnection } from "../types/connections";

@ArgsType()
class ListIdentitiesArgs {
  @Field(() => Int, { defaultValue: 20, description: "How many identities to return, 1 to 100." })
  first!: number;

  @Field(() => String, { nullable: true, description: "The `pageInfo.endCursor` of the previous page." })
  after?: string | null;

  @Field(() => String, { nullable: true, description: "Only the identity of this owner (a token subject)." })
  owner?: string | null;
}

@Resolver(() => CommunicationIdentity)
export class CommunicationIdentityResolver {
  @Guard()
  @Query(() => CommunicationIdentity, {
    nullable: true,
    description: "Your own identity, or null until `issueMyAccessToken` first creates it.",
  })
  myCommunicationIdentity(@Ctx() { identities }: GraphQLContext, @CurrentCaller() caller: Caller) {
    return identities.queries.myIdentity(caller);
  }

  @Guard()
  @Query(() => CommunicationIdentity, {
    nullable: true,
    description:
      "An identity by its ACS id (deleted ones included). You may read your own; reading others needs identity:read. Null when no such identity exists or you may not read it: the two are not told apart.",
  })
  communicationIdentity(
    @Arg("id", () => ID, { description: "The ACS identity id (`8:acs:...`)." }) id: string,
    @Ctx() { identities }: GraphQLContext,
    @CurrentCaller() caller: Caller,
  ) {
    return identities.queries.identity(caller, id);
  }

  @Guard("identity:read")
  @Query(() => CommunicationIdentityConnection, {
    description:
      "All identities this service manages, oldest first (deleted ones excluded). Needs identity:read.",
  })
  async communicationIdentities(
    @Args() args: ListIdentitiesArgs,
    @Ctx() { identities }: GraphQLContext,
    @CurrentCaller() caller: Caller,
  ) {
    return toConnection(await identities.queries.identities(caller, args), (identity) => identity);
  }

  @Guard("identity:create")
  @Mutation(() => CommunicationIdentity, {
    description:
      "Creates an ACS identity. With an owner it is idempotent: the owner's existing identity is returned if there is one. Needs identity:create.",
  })
  createCommunicationIdentity(
    @Arg("owner", () => String, {
      nullable: true,
      description: "The user (token subject) the identity is for; omit for none.",
    })
    owner: string | null | undefined,
    @Ctx() { identities }: GraphQLContext,
    @CurrentCaller() caller: Caller,
  ) {
    return identities.lifecycle.createIdentity(caller, owner);
  }

  @Guard()
  @Mutation(() => CommunicationIdentity, {
    description:
      "Revokes every token issued so far for the identity; tokens issued afterwards work. Owners may revoke their own; others need token:revoke. An identity you may not see (not yours, without identity:read or token:revoke) is NOT_FOUND, exactly like an unknown or deleted one.",
  })
  revokeAccessTokens(
    @Arg("identityId", () => ID, { description: "The ACS identity id whose tokens to revoke." })
    identityId: string,
    @Ctx() { identities }: GraphQLContext,
    @CurrentCaller() caller: Caller,
  ) {
    return identities.lifecycle.revokeAccessTokens(caller, identityId);
  }

  @Guard("identity:delete")
  @Mutation(() => CommunicationIdentity, {
    description:
      "Deletes the identity in ACS (its tokens stop working) and marks it deleted here. Safe to retry: a retry completes an interrupted delete. Needs identity:delete.",
  })
  deleteCommunicationIdentity(
    @Arg("identityId", () => ID, { description: "The ACS identity id to delete." }) identityId: string,
    @Ctx() { identities }: GraphQLContext,
    @CurrentCaller() caller: Caller,
  ) {
    return identities.lifecycle.deleteIdentity(caller, identityId);
  }
}
