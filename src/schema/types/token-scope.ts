import { registerEnumType } from "type-graphql";
import type { AcsScope } from "../../identity/model";

export enum TokenScope {
  CHAT = "chat",
  CHAT_JOIN = "chat.join",
  CHAT_JOIN_LIMITED = "chat.join.limited",
  VOIP = "voip",
  VOIP_JOIN = "voip.join",
}

registerEnumType(TokenScope, {
  name: "TokenScope",
  description: "What an ACS access token lets its holder do. Ask for the fewest scopes your screen needs.",
  valuesConfig: {
    CHAT: { description: "Full Chat: create, join and manage chat threads (ACS scope `chat`)." },
    CHAT_JOIN: {
      description: "Chat in existing threads without creating, deleting or updating them (`chat.join`).",
    },
    CHAT_JOIN_LIMITED: {
      description:
        "Like CHAT_JOIN, but without adding or removing participants (`chat.join.limited`). For guests.",
    },
    VOIP: { description: "Full Calling: start and join calls (ACS scope `voip`)." },
    VOIP_JOIN: { description: "Join existing calls without starting new ones (`voip.join`). For guests." },
  },
});

// The enum's values are the ACS scope strings, so mapping is a cast in both directions.
export const toAcsScopes = (scopes: TokenScope[]): AcsScope[] =>
  scopes.map((scope) => scope as string as AcsScope);
export const toTokenScopes = (scopes: Iterable<AcsScope>): TokenScope[] =>
  [...scopes].map((scope) => scope as string as TokenScope);
