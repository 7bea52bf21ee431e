import { Arg, Args, ArgsType, Ctx, Field, ID, Int, Mutation, Resolver } from "type-graphql";
import type { Caller, MintedToken } from "../../identity";
import { CurrentCaller, Guard } from "../guard";
import type { GraphQLContext } from "../context";
import { AccessToken } from "../types/access-token";
import { TokenScope, toAcsScopes, toTokenScopes } from "../types/token-scope";

const SCOPES_DOC = "The scopes to put in the token: at least one, no repeats, each allowed by your policy.";
const MINUTES_DOC =
  "Token lifetime in minutes, 60 to 1440 and at most your policy's maximum (see `viewer`). Defaults to that maximum.";

/** The arguments every mint takes: what the token may do, and for how long. */
@ArgsType()
class TokenRequestArgs {
  @Field(() => [TokenScope], { description: SCOPES_DOC })
  scopes!: TokenScope[];

  @Field(() => Int, { nullable: true, description: MINUTES_DOC })
  expiresInMinutes!: number | null;
}

const toAccessToken = (minted: MintedToken): AccessToken => ({
  ...minted,
  scopes: toTokenScopes(minted.scopes),
});

@Resolver(() => AccessToken)
export class AccessTokenResolver {
  @Guard("mint:self", "mint:any")
  @Mutation(() => AccessToken, {
    description:
      "The common path for apps: returns a fresh token for your own identity, creating the identity on first use. Use it as `tokenRefresher`.",
  })
  async issueMyAccessToken(
    @Args(() => TokenRequestArgs) { scopes, expiresInMinutes }: TokenRequestArgs,
    @Ctx() { identities }: GraphQLContext,
    @CurrentCaller() caller: Caller,
  ) {
    return toAccessToken(
      await identities.tokens.issueMyAccessToken(caller, toAcsScopes(scopes), expiresInMinutes),
    );
  }

  @Guard("mint:self", "mint:any")
  @Mutation(() => AccessToken, {
    description:
      "Issues a token for a user of the graph by their id (the `User.id` the identity belongs to), creating their identity on first use. Your own id needs mint:self; another user's needs mint:any and identity:create.",
  })
  async issueUserAccessToken(
    @Arg("userId", () => ID, {
      description: "The user's id: the `sub` of their bearer token and the identity's owner.",
    })
    userId: string,
    @Args(() => TokenRequestArgs) { scopes, expiresInMinutes }: TokenRequestArgs,
    @Ctx() { identities }: GraphQLContext,
    @CurrentCaller() caller: Caller,
  ) {
    return toAccessToken(
      await identities.tokens.issueUserAccessToken(caller, userId, toAcsScopes(scopes), expiresInMinutes),
    );
  }

  @Guard("mint:self", "mint:any")
  @Mutation(() => AccessToken, {
    description:
      "Issues a token for an identity. Your own needs mint:self; any other needs mint:any. An identity you may not see (not yours, without identity:read or mint:any) is NOT_FOUND, exactly like an unknown or deleted one. Scopes and lifetime beyond your policy are FORBIDDEN, never reduced.",
  })
  async issueAccessToken(
    @Arg("identityId", () => ID, { description: "The ACS identity id to issue the token for." })
    identityId: string,
    @Args(() => TokenRequestArgs) { scopes, expiresInMinutes }: TokenRequestArgs,
    @Ctx() { identities }: GraphQLContext,
    @CurrentCaller() caller: Caller,
  ) {
    return toAccessToken(
      await identities.tokens.issueAccessToken(caller, identityId, toAcsScopes(scopes), expiresInMinutes),
    );
  }

  @Guard(["identity:create", "mint:any"])
  @Mutation(() => AccessToken, {
    description:
      "Creates an identity (or reuses the owner's) and issues its first token in one call. Needs identity:create and mint:any.",
  })
  async createCommunicationIdentityWithToken(
    @Arg("owner", () => String, {
      nullable: true,
      description: "The user (token subject) the identity is for; omit for none.",
    })
    owner: string | null | undefined,
    @Args(() => TokenRequestArgs) { scopes, expiresInMinutes }: TokenRequestArgs,
    @Ctx() { identities }: GraphQLContext,
    @CurrentCaller() caller: Caller,
  ) {
    return toAccessToken(
      await identities.tokens.createIdentityWithToken(caller, owner, toAcsScopes(scopes), expiresInMinutes),
    );
  }
}
