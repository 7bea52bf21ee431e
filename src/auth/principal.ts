/** An authenticated caller (or the anonymous one), as the bearer token describes it. */
export interface Principal {
  /** The token's `sub`; null for anonymous callers. */
  subject: string | null;
  /** Roles read from the configured roles claim. */
  roles: string[];
}

export const ANONYMOUS: Principal = Object.freeze({ subject: null, roles: [] }) as Principal;
