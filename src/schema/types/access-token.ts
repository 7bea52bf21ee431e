import { Field, ObjectType } from "type-graphql";
import { CommunicationIdentity } from "./communication-identity";
import { TokenScope } from "./token-scope";

@ObjectType({
  description:
    "An ACS access token. Hand `token` and `expiresOn` to `AzureCommunicationTokenCredential`; never log or store it.",
})
export class AccessToken {
  @Field({ description: "The ACS access token (a JWT). A secret: keep it in memory only." })
  token!: string;

  @Field({ description: "When the token stops working. Ask for a new one a few minutes before." })
  expiresOn!: Date;

  @Field(() => [TokenScope], { description: "The scopes the token carries: exactly the ones asked for." })
  scopes!: TokenScope[];

  @Field(() => CommunicationIdentity, { description: "The identity the token was issued for." })
  identity!: CommunicationIdentity;
}
