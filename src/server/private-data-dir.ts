// The data folder holds the embedded database (identity mappings, the audit trail, and a WAL with
// subjects in clear), the emulator's journal and the development issuer's signing key: only the
// service's own user may read or change any of it. Checked and enforced at every start, because a
// folder that existed before the service (or was copied in) keeps whatever modes it was given, and
// PGlite writes its files with mode 0666.
import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync, type Stats } from "node:fs";
import path from "node:path";

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataDirError";
  }
}

const DEV_KEY_FILE = "dev-issuer.json";
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
const OTHERS = 0o077;

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * Creates `dir` (0700) if missing; otherwise makes it and everything under it private: folders 0700,
 * files 0600. Refuses (DataDirError, saying why) when an entry belongs to another user, when a mode
 * cannot be changed, or when the development signing key was readable or writable by others (it must
 * be replaced, not just hidden again). Symbolic links are never followed. Returns how many entries had
 * to be tightened. On Windows (no POSIX owners or modes) it only creates the folder.
 */
export function makeDataDirPrivate(dir: string): { tightened: number } {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  if (typeof process.getuid !== "function") return { tightened: 0 };
  const uid = process.getuid();
  let tightened = 0;

  const visit = (entry: string, stats: Stats) => {
    if (stats.uid !== uid)
      throw new DataDirError(
        `${entry} belongs to user ${stats.uid}, not to the service's user (${uid}): another user could read or change the service's data. Give it to the service's user (chown) or choose another DATA_DIR.`,
      );
    const wanted = stats.isDirectory() ? PRIVATE_DIR : PRIVATE_FILE;
    if (path.basename(entry) === DEV_KEY_FILE && stats.isFile() && stats.mode & OTHERS)
      throw new DataDirError(
        `${entry} (the development token issuer's signing key) has mode ${octal(stats.mode)}: other users may have read or replaced it, and could sign tokens for any subject. Delete it (a new key is made at the next start; tokens signed with the old one stop working).`,
      );
    if ((stats.mode & 0o777) !== wanted && stats.mode & OTHERS) {
      try {
        chmodSync(entry, wanted);
      } catch (error) {
        throw new DataDirError(
          `${entry} has mode ${octal(stats.mode)} (open to other users) and it could not be changed to ${octal(wanted)}: ${(error as Error).message}`,
        );
      }
      tightened += 1;
    }
    if (stats.isDirectory()) {
      for (const name of readdirSync(entry)) {
        const child = path.join(entry, name);
        const childStats = lstatSync(child);
        // A link is neither followed nor changed (chmod would change its target, wherever that is).
        if (!childStats.isSymbolicLink()) visit(child, childStats);
      }
    }
  };
  // DATA_DIR itself may be a link to the real folder: the folder is what must be private.
  visit(dir, statSync(dir));
  return { tightened };
}
