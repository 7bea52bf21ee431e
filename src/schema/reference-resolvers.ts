import { assertIdentityId, assertOwner } from "../identity";
import type { GraphQLContext } from "./context";

// Federation entry points (`_entities`): they go through the same per-request loaders, and so the
// same authorization, as the rest of the API.
export const referenceResolvers = {
  CommunicationIdentity: {
    __resolveReference(reference: { id: unknown }, context: GraphQLContext) {
      // Representations are JSON the caller wrote (_Any): checked like any argument, BAD_USER_INPUT.
      assertIdentityId(reference.id, "representations.id");
      return context.loaders.byId.load(reference.id);
    },
  },
  User: {
    __resolveReference(reference: { id: unknown }) {
      assertOwner(reference.id, "representations.id");
      return { id: reference.id };
    },
  },
};
