import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

const AUTHORIZATION =
  /^HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=([A-Za-z0-9+/]+=*)$/;

export const sha256Base64 = (body: Buffer | string) => createHash("sha256").update(body).digest("base64");

/**
 * Verifies a request signed the way @azure/communication-common signs it: HMAC-SHA256, keyed with the
 * base64-decoded access key, over `VERB\n<raw path>?<query>\n<x-ms-date>;<host>;<body hash>`.
 * Identical replays pass (the SDK's retries resend the same date and signature).
 * Returns why it failed, for logs; callers answer every failure with the same 401 Denied.
 */
export function verifyHmac(
  req: IncomingMessage,
  rawBody: Buffer,
  key: Buffer,
  skewSeconds: number,
  now = Date.now(),
): string | null {
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === "string" ? value : undefined;
  };
  const authorization = header("authorization");
  const date = header("x-ms-date");
  const contentHash = header("x-ms-content-sha256");
  const host = header("host");
  if (!authorization || !date || !contentHash || !host) return "missing header";
  const match = AUTHORIZATION.exec(authorization);
  if (!match) return "malformed authorization";
  const signedAt = Date.parse(date);
  if (!Number.isFinite(signedAt)) return "malformed date";
  if (Math.abs(now - signedAt) > skewSeconds * 1000) return "date outside the allowed skew";
  if (!equalBase64(contentHash, sha256Base64(rawBody))) return "body hash mismatch";
  const url = new URL(req.url ?? "/", `http://${host}`);
  const query = url.searchParams.toString();
  const pathAndQuery = query ? `${url.pathname}?${query}` : url.pathname;
  const stringToSign = `${req.method}\n${pathAndQuery}\n${date};${host};${contentHash}`;
  const expected = createHmac("sha256", key).update(stringToSign).digest("base64");
  return equalBase64(match[1], expected) ? null : "signature mismatch";
}

function equalBase64(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}
