import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";

// Folders this process holds, so a lock file naming our own pid can be told apart from one left by an
// earlier process that had the same pid (a restarted container's pid 1).
const held = new Set<string>();

/**
 * An exclusive claim on the embedded database folder: a `<dir>.lock` file holding our pid. PGlite does
 * not stop a second process from opening the same folder, which would corrupt it. A lock left by a
 * process that is gone is taken over. Returns the release function (idempotent).
 */
export function lockDirectory(dir: string): () => void {
  const file = `${dir}.lock`;
  const draft = `${file}.${process.pid}`;
  writeFileSync(draft, String(process.pid));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(draft, file); // atomic: fails if the lock exists, and never exposes an empty file
        held.add(file);
        let released = false;
        return () => {
          if (released) return;
          released = true;
          held.delete(file);
          try {
            unlinkSync(file);
          } catch {
            // already gone
          }
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const holder = readHolder(file);
        if (holder !== undefined && (held.has(file) || (holder !== process.pid && isRunning(holder)))) {
          throw new Error(
            `the embedded database in ${dir} is already open in process ${holder}; ` +
              `if no such process uses it, delete ${file}`,
          );
        }
        unlinkSync(file); // stale: its process is gone
      }
    }
    throw new Error(`could not lock the embedded database in ${dir} (${file})`);
  } finally {
    unlinkSync(draft);
  }
}

function readHolder(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // it exists, owned by another user
  }
}
