import { badInput } from "../errors";

// ACS ids are `8:<cloud>:<resource guid>_<user id>`; anything else never reaches ACS.
const ACS_ID =
  /^8:(acs|gcch-acs|dod-acs):[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}_[0-9A-Za-z-]{1,64}$/;
const MAX_SUBJECT_LENGTH = 256;
// What a subject may not contain, because it could not be stored or shown as it is: control characters
// (NUL cannot be stored in PostgreSQL text at all), format characters (U+202E reverses the text shown,
// zero-width ones make two subjects look alike), line and paragraph separators, and surrogate code
// points. An unpaired surrogate is the worst: UTF-8 cannot encode it, so the database driver stores
// U+FFFD instead and "alice\ud800" and "alice\udfff" would become one owner.
const UNSTORABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** True for a well-formed ACS identity id (what may be stored, e.g. in the audit trail). */
export const isIdentityId = (id: unknown): id is string =>
  typeof id === "string" && id.length <= 128 && ACS_ID.test(id);

export function assertIdentityId(id: unknown, field = "identityId"): asserts id is string {
  if (!isIdentityId(id)) {
    throw badInput(`${field} must be an ACS identity id like 8:acs:<resource guid>_<user id>.`, field);
  }
}

/**
 * Why a subject (a token's `sub`, an identity owner, a user id) is refused, or undefined when it is
 * fine. One rule for every way a subject enters, so that what is stored and compared is exactly what
 * the token or the caller said: 1 to 256 characters, well-formed Unicode without control, format or
 * separator characters, and no leading or trailing spaces.
 */
export function subjectProblem(subject: unknown): string | undefined {
  if (typeof subject !== "string") return "must be a string";
  if (subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH)
    return `must be 1 to ${MAX_SUBJECT_LENGTH} characters long`;
  if (UNSTORABLE.test(subject))
    return "must not contain control, format or separator characters or unpaired surrogates";
  if (subject.trim() !== subject) return "must not start or end with spaces";
  return undefined;
}

/** True when `subject` may be stored and compared as it is (see subjectProblem). */
export const isSubject = (subject: unknown): subject is string => subjectProblem(subject) === undefined;

/** Refuses (BAD_USER_INPUT naming `field`) an owner, user id or actor that is not a valid subject. */
export function assertOwner(owner: unknown, field = "owner"): asserts owner is string {
  const problem = subjectProblem(owner);
  if (problem !== undefined) {
    throw badInput(
      `${field} ${problem}: it must be 1 to ${MAX_SUBJECT_LENGTH} printable characters without leading or trailing spaces.`,
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
