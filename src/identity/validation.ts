import { badInput } from "../errors";

// ACS ids are `8:<cloud>:<resource guid>_<user id>`; anything else never reaches ACS.
const ACS_ID =
  /^8:(acs|gcch-acs|dod-acs):[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}_[0-9A-Za-z-]{1,64}$/;
const MAX_OWNER_LENGTH = 256;
// Subjects from identity providers are printable; control characters only ever mean a mistake or an attack.
const PRINTABLE = /^[^\p{Cc}]+$/u;

/** True for a well-formed ACS identity id (what may be stored, e.g. in the audit trail). */
export const isIdentityId = (id: unknown): id is string =>
  typeof id === "string" && id.length <= 128 && ACS_ID.test(id);

export function assertIdentityId(id: string, field = "identityId"): void {
  if (!isIdentityId(id)) {
    throw badInput(`${field} must be an ACS identity id like 8:acs:<resource guid>_<user id>.`, field);
  }
}

export function assertOwner(owner: string, field = "owner"): void {
  if (
    owner.length === 0 ||
    owner.length > MAX_OWNER_LENGTH ||
    !PRINTABLE.test(owner) ||
    owner.trim() !== owner
  ) {
    throw badInput(
      `${field} must be 1 to ${MAX_OWNER_LENGTH} printable characters without leading or trailing spaces.`,
      field,
    );
  }
}

export function assertPageSize(first: number, max = 100): void {
  if (!Number.isInteger(first) || first < 1 || first > max) {
    throw badInput(`first must be between 1 and ${max}.`, "first");
  }
}

export function assertCursor(after: string | null | undefined): void {
  if (after != null && (after.length > 512 || !/^[A-Za-z0-9_-]+$/.test(after))) {
    throw badInput("after must be a cursor returned by a previous page.", "after");
  }
}
