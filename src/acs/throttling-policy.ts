import type { PipelinePolicy } from "@azure/core-rest-pipeline";

/** Thrown instead of retrying when ACS answers 429, carrying ACS's Retry-After. */
export class AcsThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`ACS throttled the request; retry after ${retryAfterSeconds}s`);
    this.name = "AcsThrottledError";
  }
}

// The SDK would wait out a 429 and retry, holding the caller's request and spending the shared ACS
// quota again. We hand the throttling back to the caller at once (ACS_THROTTLED with retryAfterSeconds).
// Placed "perRetry" (inside the retry policy), a thrown non-system error is not retried.
export const surfaceThrottlingPolicy: PipelinePolicy = {
  name: "surfaceAcsThrottling",
  async sendRequest(request, next) {
    const response = await next(request);
    if (response.status === 429) {
      throw new AcsThrottledError(
        retryAfterSeconds(response.headers.get("retry-after-ms"), response.headers.get("retry-after")),
      );
    }
    return response;
  },
};

function retryAfterSeconds(retryAfterMs: string | undefined, retryAfter: string | undefined): number {
  const ms = Number(retryAfterMs);
  if (Number.isFinite(ms) && ms > 0) return Math.ceil(ms / 1000);
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.max(1, Math.ceil(seconds));
  const date = retryAfter ? Date.parse(retryAfter) : NaN;
  if (Number.isFinite(date)) return Math.max(1, Math.ceil((date - Date.now()) / 1000));
  return 30; // ACS quotas are per 30 s
}
