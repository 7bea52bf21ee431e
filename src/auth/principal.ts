/** An authenticated caller (or the anonymous one), as the bearer token describes it. */
export interface Principal {
  /** The token's `sub`; null for anonymous callers. */
  subject: string | null;
  /** Roles read from the configured roles claim. */
  roles: string[];
  /** The Entra ID object id from the configured claim (AUTH_OBJECT_ID_CLAIM), if the token has one. */
  objectId?: string | null;
}

export const ANONYMOUS: Principal = Object.freeze({ subject: null, roles: [], objectId: null }) as Principal;
