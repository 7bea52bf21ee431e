import { Field, ObjectType } from "type-graphql";

@ObjectType({
  description:
    "An ACS access token for a Microsoft Teams user (Teams interoperability). It acts as the Teams user, not as an identity of this service; never log or store it.",
})
export class TeamsAccessToken {
  @Field({ description: "The ACS access token (a JWT). A secret: keep it in memory only." })
  token!: string;

  @Field({
    description:
      "When the token stops working: when the Teams user's Entra ID token expires, and never later than 24 hours.",
  })
  expiresOn!: Date;
}
