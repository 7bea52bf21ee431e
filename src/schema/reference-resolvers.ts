import type { GraphQLContext } from "./context";

// Federation entry points (`_entities`): they go through the same per-request loaders, and so the
// same authorization, as the rest of the API.
export const referenceResolvers = {
  CommunicationIdentity: {
    __resolveReference(reference: { id: string }, context: GraphQLContext) {
      return context.loaders.byId.load(reference.id);
    },
  },
  User: {
    __resolveReference(reference: { id: string }) {
      return { id: reference.id };
    },
  },
};
