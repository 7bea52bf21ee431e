// AES-256-GCM sealing of kept ACS tokens: a token is at rest (in memory or in Redis) only sealed.
// Keys rotate: the first key seals, every listed key opens, so old entries stay readable until they
// expire (at most a token's lifetime, 24 hours) and then the old key can be dropped.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

export interface Sealer {
  /** `associated` binds the sealed value to its place (identity and slot): it opens nowhere else. */
  seal(plain: string, associated: string): string;
  /** The plain text, or undefined when no key opens it (a dropped key, tampering, another place). */
  open(sealed: string, associated: string): string | undefined;
}

/** Keys are 32 random bytes each, base64 encoded; a key's id is a hash of it, never the key. */
export function createSealer(keys: readonly Buffer[]): Sealer {
  if (keys.length === 0 || keys.some((key) => key.length !== 32))
    throw new Error("token reuse needs 32-byte keys");
  const byId = new Map(keys.map((key) => [keyId(key), key]));
  const current = keys[0];
  const currentId = keyId(current);
  return {
    seal(plain, associated) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", current, iv);
      cipher.setAAD(Buffer.from(associated));
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return ["v1", currentId, iv, body, cipher.getAuthTag()]
        .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
        .join(".");
    },
    open(sealed, associated) {
      const [version, id, iv, body, tag] = sealed.split(".");
      const key = byId.get(id ?? "");
      if (version !== "v1" || !key || !iv || !body || !tag) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
        decipher.setAAD(Buffer.from(associated));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString(
          "utf8",
        );
      } catch {
        return undefined;
      }
    },
  };
}

const keyId = (key: Buffer) => createHash("sha256").update(key).digest("base64url").slice(0, 8);
