import { randomUUID } from "node:crypto";

let lastMs = 0;
let counter = 0;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter (method 1), then random
 * bits. Ids made by this process sort in the order they were made, even within one millisecond and
 * if the clock steps back, so audit events written in the same millisecond keep their order.
 */
export function uuidV7(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    lastMs += 1; // 4096 ids in one millisecond: borrow the next one
    counter = 0;
  }
  // The random part is a v4 UUID's last 62 random bits with its RFC variant (`[89ab]xxx-xxxxxxxxxxxx`):
  // randomUUID draws from a pooled buffer, where randomBytes(16) made a call into OpenSSL per id.
  const time = lastMs.toString(16).padStart(12, "0");
  const version = (0x7000 | counter).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8)}-${version}-${randomUUID().slice(19)}`;
}

export const isUuid = (value: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
