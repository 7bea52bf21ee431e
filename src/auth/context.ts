import type { EffectivePolicy } from "../identity/policy";
import type { Principal } from "./principal";

/** What the auth checker needs from the request context. */
export interface AuthContext {
  principal: Principal;
  effective: EffectivePolicy;
}
