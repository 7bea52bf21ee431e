import { randomBytes, randomUUID } from "node:crypto";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { newSigningKey, type SigningKeyMaterial } from "./tokens";

export interface EmulatedIdentity {
  id: string;
  customId?: string;
  createdAtMs: number;
  lastTokenIssuedAtMs?: number;
  /** Tokens issued at or before this instant are revoked. */
  revokedAtMs?: number;
  deletedAtMs?: number;
}

/** What survives a restart besides identities: the resource's id, its access key and signing key. */
export interface ResourceSettings {
  resourceId: string;
  accessKey: string;
  signingKey: SigningKeyMaterial;
}

type JournalEntry =
  | { t: "create"; id: string; customId?: string; at: number }
  | { t: "issue"; id: string; at: number }
  | { t: "revoke"; id: string; at: number }
  | { t: "delete"; id: string; at: number }
  | { t: "reset" };

/**
 * The emulator's memory: identities, revocations and deletions. With a data folder every change is
 * appended to a JSON-lines journal (one write on an open file: cheap), which is replayed and compacted
 * at start. Writes are synchronous so an answered request is on disk before the answer leaves.
 */
export class EmulatorState {
  readonly identities = new Map<string, EmulatedIdentity>();
  private readonly byCustomId = new Map<string, string>();
  private readonly journalFile: string | undefined;
  private fd: number | undefined;

  private constructor(dataDir: string | undefined) {
    this.journalFile = dataDir && path.join(dataDir, "journal.jsonl");
  }

  static open(dataDir: string | undefined): EmulatorState {
    const state = new EmulatorState(dataDir);
    if (dataDir) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (state.journalFile && existsSync(state.journalFile)) {
      for (const line of readFileSync(state.journalFile, "utf8").split("\n")) {
        if (!line.trim()) continue;
        try {
          state.apply(JSON.parse(line) as JournalEntry);
        } catch {
          // A torn last line from a crash mid-append: everything before it is intact.
        }
      }
      state.compact();
    }
    state.openJournal();
    return state;
  }

  /** Stops journaling (the emulator is closing). Later changes stay in memory only. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  create(id: string, customId: string | undefined, at: number): EmulatedIdentity {
    return this.record({ t: "create", id, customId, at }) as EmulatedIdentity;
  }

  findByCustomId(customId: string): EmulatedIdentity | undefined {
    const id = this.byCustomId.get(customId);
    return id ? this.identities.get(id) : undefined;
  }

  tokenIssued(id: string, at: number): void {
    this.record({ t: "issue", id, at });
  }

  revoke(id: string, at: number): void {
    this.record({ t: "revoke", id, at });
  }

  delete(id: string, at: number): void {
    this.record({ t: "delete", id, at });
  }

  reset(): void {
    this.record({ t: "reset" });
    if (this.fd === undefined) return;
    this.close();
    this.compact();
    this.openJournal();
  }

  private openJournal(): void {
    if (!this.journalFile) return;
    this.fd = openSync(this.journalFile, "a", 0o600);
    chmodSync(this.journalFile, 0o600);
  }

  private record(entry: JournalEntry): EmulatedIdentity | undefined {
    const result = this.apply(entry);
    if (this.fd !== undefined) writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    return result;
  }

  private apply(entry: JournalEntry): EmulatedIdentity | undefined {
    if (entry.t === "reset") {
      this.identities.clear();
      this.byCustomId.clear();
      return undefined;
    }
    if (entry.t === "create") {
      const identity: EmulatedIdentity = { id: entry.id, customId: entry.customId, createdAtMs: entry.at };
      this.identities.set(entry.id, identity);
      if (entry.customId) this.byCustomId.set(entry.customId, entry.id);
      return identity;
    }
    const identity = this.identities.get(entry.id);
    if (!identity) return undefined;
    if (entry.t === "issue") identity.lastTokenIssuedAtMs = entry.at;
    if (entry.t === "revoke") identity.revokedAtMs = entry.at;
    if (entry.t === "delete") {
      identity.deletedAtMs = entry.at;
      if (identity.customId) this.byCustomId.delete(identity.customId);
    }
    return identity;
  }

  /** Rewrites the journal as the current state, so it does not grow without bound. */
  private compact(): void {
    if (!this.journalFile) return;
    const lines: JournalEntry[] = [];
    for (const identity of this.identities.values()) {
      lines.push({
        t: "create",
        id: identity.id,
        customId: identity.deletedAtMs ? undefined : identity.customId,
        at: identity.createdAtMs,
      });
      if (identity.lastTokenIssuedAtMs)
        lines.push({ t: "issue", id: identity.id, at: identity.lastTokenIssuedAtMs });
      if (identity.revokedAtMs) lines.push({ t: "revoke", id: identity.id, at: identity.revokedAtMs });
      if (identity.deletedAtMs) lines.push({ t: "delete", id: identity.id, at: identity.deletedAtMs });
    }
    const temp = `${this.journalFile}.tmp`;
    writeFileSync(temp, lines.map((line) => `${JSON.stringify(line)}\n`).join(""), { mode: 0o600 });
    renameSync(temp, this.journalFile);
  }
}

/** Loads the resource's settings from the data folder, creating them on first start (mode 0600). */
export function loadResourceSettings(
  dataDir: string | undefined,
  given: { resourceId?: string; accessKey?: string },
): ResourceSettings {
  const file = dataDir && path.join(dataDir, "resource.json");
  let stored: Partial<ResourceSettings> = {};
  if (file && existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8")) as ResourceSettings;
  const settings: ResourceSettings = {
    resourceId: given.resourceId ?? stored.resourceId ?? randomUUID(),
    accessKey: given.accessKey ?? stored.accessKey ?? randomBytes(32).toString("base64"),
    signingKey: stored.signingKey ?? newSigningKey(),
  };
  if (file) {
    mkdirSync(dataDir!, { recursive: true, mode: 0o700 });
    // Holds the access key and the signing key: owner-only, also when the file already existed.
    writeFileSync(file, JSON.stringify(settings), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return settings;
}
