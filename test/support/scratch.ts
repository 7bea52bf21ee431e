// Where tests keep throwaway folders: in memory (/dev/shm, a tmpfs) when the machine has one, else the
// system temp dir. An embedded database folder holds about 1,000 files; on a disk mounted with
// `discard`, copying one and removing it cost some 3 s of waiting per test service, on tmpfs 0.2 s.
import { accessSync, constants, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

function pickRoot(): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return os.tmpdir();
  }
}

/** The folder every scratch folder goes in. */
export const SCRATCH_ROOT = pickRoot();

/** A new empty folder, `<prefix>XXXXXX`, for the caller to remove. */
export const scratchDir = (prefix: string): string => mkdtempSync(path.join(SCRATCH_ROOT, prefix));
