import type { PipelinePolicy, PipelineRequest } from "@azure/core-rest-pipeline";

/** Thrown instead of retrying when ACS answers 429, carrying ACS's Retry-After. */
export class AcsThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`ACS throttled the request; retry after ${retryAfterSeconds}s`);
    this.name = "AcsThrottledError";
  }
}

/**
 * An ACS answer or a network failure the SDK must not retry: ACS asked for a pause (5xx with
 * Retry-After), or the request is not safe to repeat. Keeps `statusCode`/`code` for error mapping.
 */
export class AcsNotRetriedError extends Error {
  constructor(
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    readonly retryAfterSeconds: number | undefined,
    cause?: unknown,
  ) {
    super(`ACS answered ${statusCode ?? code}; not retried`, { cause });
    this.name = "AcsNotRetriedError";
  }
}

// Network failures where the request never reached ACS: repeating it cannot do anything twice.
const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * May this request be sent again after a 5xx or a broken connection, when ACS may have acted on it?
 *  - GET, DELETE (deleting a deleted identity is a no-op) and :revokeAccessTokens: yes, idempotent.
 *  - POST /identities with a `customId`: yes, ACS answers a repeat with the same identity.
 *  - POST /identities without one: no. A repeat may create a second identity that nobody records:
 *    ACS cannot list identities, so it would be lost for good.
 *  - :issueAccessToken and Teams :exchangeAccessToken: yes. A repeat mints another token, but the one
 *    whose answer was lost was never handed to anyone and expires on its own (revocation covers it);
 *    the caller asked for one token and gets one. It costs one more unit of ACS's token quota.
 */
export function isRepeatable(request: Pick<PipelineRequest, "method" | "url" | "body">): boolean {
  const method = request.method.toUpperCase();
  if (method === "GET" || method === "DELETE" || method === "PUT" || method === "HEAD") return true;
  const path = new URL(request.url).pathname;
  if (/:(revokeAccessTokens|issueAccessToken|exchangeAccessToken)$/.test(path)) return true;
  if (/\/identities\/?$/.test(path))
    return typeof request.body === "string" && /"customId"\s*:/.test(request.body);
  return false;
}

// The SDK would wait out a 429 (and a 503 with Retry-After) and retry, holding the caller's request
// for the whole pause and spending the shared ACS quota again. We hand the pause back to the caller at
// once (ACS_THROTTLED / ACS_UNAVAILABLE with retryAfterSeconds), and src/acs/resilience.ts honours it
// locally. 5xx and broken connections are retried by the SDK only for requests safe to repeat.
// Placed "perRetry" (inside the retry policy), a thrown non-RestError is never retried.
export const surfaceThrottlingPolicy: PipelinePolicy = {
  name: "surfaceAcsThrottling",
  async sendRequest(request, next) {
    let response;
    try {
      response = await next(request);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code && !NEVER_SENT.has(code) && !isRepeatable(request)) {
        throw new AcsNotRetriedError(undefined, code, undefined, error);
      }
      throw error;
    }
    const retryAfter = () =>
      retryAfterSeconds(response.headers.get("retry-after-ms"), response.headers.get("retry-after"));
    if (response.status === 429) throw new AcsThrottledError(retryAfter());
    if (response.status >= 500 || response.status === 408) {
      const asked = response.headers.has("retry-after") || response.headers.has("retry-after-ms");
      if (asked || !isRepeatable(request)) {
        throw new AcsNotRetriedError(
          response.status,
          acsErrorCode(response.bodyAsText),
          asked ? retryAfter() : undefined,
        );
      }
    }
    return response;
  },
};

function acsErrorCode(body: string | null | undefined): string | undefined {
  try {
    const code = (JSON.parse(body ?? "") as { error?: { code?: unknown } }).error?.code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

function retryAfterSeconds(retryAfterMs: string | undefined, retryAfter: string | undefined): number {
  const ms = Number(retryAfterMs);
  if (Number.isFinite(ms) && ms > 0) return Math.ceil(ms / 1000);
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.max(1, Math.ceil(seconds));
  const date = retryAfter ? Date.parse(retryAfter) : NaN;
  if (Number.isFinite(date)) return Math.max(1, Math.ceil((date - Date.now()) / 1000));
  return 30; // ACS quotas are per 30 s
}
