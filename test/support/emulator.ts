// Helpers for the emulator's tests: the real SDK pointed at it, and hand-signed raw HTTP requests.
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { createHash, createHmac } from "node:crypto";

export function sdkClient(
  connectionString: string,
  options: { apiVersion?: string; maxRetries?: number } = {},
) {
  return new CommunicationIdentityClient(connectionString, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: options.maxRetries ?? 3, retryDelayInMs: 50, maxRetryDelayInMs: 200 },
    ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
  } as never);
}

/** The error the SDK threw, reduced to what callers see. */
export async function sdkError(
  promise: Promise<unknown>,
): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { statusCode?: number; code?: string; message: string };
    return { statusCode: e.statusCode, code: e.code, message: e.message };
  }
  throw new Error("expected the SDK call to fail");
}

/** The full error body the SDK received ({code, message, target?}), for asserting `target`. */
export async function sdkErrorBody(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    const text = (error as { response?: { bodyAsText?: string } }).response?.bodyAsText;
    return { statusCode: (error as { statusCode?: number }).statusCode, ...JSON.parse(text ?? "{}").error };
  }
  throw new Error("expected the SDK call to fail");
}

export interface RawRequest {
  method: string;
  /** Raw (percent-encoded) path and query, as sent. */
  pathAndQuery: string;
  body?: string;
  headers?: Record<string, string | undefined>;
}

/** Signs like @azure/communication-common does; `tamper` changes what is sent after signing. */
export function signedRequest(endpoint: string, accessKey: string, request: RawRequest, date = new Date()) {
  const url = new URL(request.pathAndQuery, endpoint);
  const body = request.body ?? "";
  const contentHash = createHash("sha256").update(body).digest("base64");
  const utc = date.toUTCString();
  const query = url.searchParams.toString();
  const pathAndQuery = query ? `${url.pathname}?${query}` : url.pathname;
  const stringToSign = `${request.method}\n${pathAndQuery}\n${utc};${url.host};${contentHash}`;
  const signature = createHmac("sha256", Buffer.from(accessKey, "base64"))
    .update(stringToSign)
    .digest("base64");
  const headers: Record<string, string> = {
    "x-ms-date": utc,
    "x-ms-content-sha256": contentHash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    "content-type": "application/json",
    "x-ms-client-request-id": "raw-test-request",
  };
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return {
    url: url.toString(),
    init: {
      method: request.method,
      headers,
      body: request.method === "GET" || request.method === "DELETE" ? undefined : body,
    },
  };
}

export async function send(
  signed: ReturnType<typeof signedRequest>,
  override: { url?: string; body?: string } = {},
) {
  const response = await fetch(override.url ?? signed.url, {
    ...signed.init,
    ...(override.body !== undefined ? { body: override.body } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: text ? (JSON.parse(text) as Record<string, any>) : undefined,
  };
}

export const decodeClaims = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as Record<string, unknown>;
export const decodeHeader = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString("utf8")) as Record<string, unknown>;
