import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import type { Caller } from "../../identity";
import type { GraphQLContext } from "../context";
import { CurrentCaller, Guard } from "../guard";
import { TeamsAccessToken } from "../types/teams-access-token";

@Resolver(() => TeamsAccessToken)
export class TeamsResolver {
  @Guard("mint:self", "mint:any")
  @Mutation(() => TeamsAccessToken, {
    description:
      "Exchanges your own Microsoft Teams user token (an Entra ID access token for the Teams.ManageCalls and Teams.ManageChats permissions) for an ACS token. The Teams user must be you: `userObjectId` must equal the object id in your bearer token (claim AUTH_OBJECT_ID_CLAIM, `oid` by default). Send it as a POST body variable only; it is never stored, logged or audited.",
  })
  async exchangeTeamsUserToken(
    @Arg("teamsToken", { description: "The Teams user's Entra ID access token. A secret." })
    teamsToken: string,
    @Arg("clientId", () => ID, {
      description: "The Entra ID application (client) id the token was issued to.",
    })
    clientId: string,
    @Arg("userObjectId", () => ID, { description: "The Teams user's Entra ID object id: yours." })
    userObjectId: string,
    @Ctx() { identities }: GraphQLContext,
    @CurrentCaller() caller: Caller,
  ): Promise<TeamsAccessToken> {
    return identities.tokens.exchangeTeamsUserToken(caller, { teamsToken, clientId, userObjectId });
  }
}
