import type { AuthContext } from "../auth/context";
import type { Caller, IdentityService } from "../identity";
import type { IdentityLoaders } from "./loaders";

/** The one request context, typed once and passed to every resolver. */
export interface GraphQLContext extends AuthContext {
  requestId: string;
  caller: Caller;
  identities: IdentityService;
  loaders: IdentityLoaders;
}
