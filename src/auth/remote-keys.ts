// The issuer's signing keys, fetched over HTTP (a JWKS URL, or one found by OIDC discovery), with the
// limits that keep a token flood from turning into a flood of requests to the issuer: every fetch
// attempt (successful or not) opens a cooldown, concurrent callers share one fetch, and every wait is
// bounded by a timeout.
import {
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
} from "jose";

export interface RemoteKeyOptions {
  /** The longest wait for one fetch (headers and body). */
  timeoutMs: number;
  /** No new fetch attempt until this long after the previous one started. */
  cooldownMs: number;
  /** Keys older than this are fetched again before use. */
  maxAgeMs: number;
}

/** The issuer's keys could not be obtained (down, slow, or answering nonsense): verification fails closed. */
export class KeySourceUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KeySourceUnavailable";
  }
}

// A JWKS is a few kilobytes; a body far larger is not one, and reading it would cost memory.
const MAX_DOCUMENT_BYTES = 256 * 1024;

/** GET a JSON document within the timeout; no redirects (a moved key set is a configuration matter). */
export async function fetchJson(url: string, timeoutMs: number): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, {
      signal,
      redirect: "manual",
      headers: { accept: "application/json, application/jwk-set+json" },
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new KeySourceUnavailable(`${url} answered HTTP ${response.status}`);
    }
    const reader = response.body?.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const next = reader ? await reader.read() : { done: true as const, value: undefined };
      if (next.done) break;
      size += next.value.byteLength;
      if (size > MAX_DOCUMENT_BYTES) {
        await reader?.cancel();
        throw new KeySourceUnavailable(`${url} answered more than ${MAX_DOCUMENT_BYTES} bytes`);
      }
      chunks.push(next.value);
    }
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    if (error instanceof KeySourceUnavailable) throw error;
    const reason = signal.aborted
      ? `no answer within ${timeoutMs} ms`
      : error instanceof SyntaxError
        ? "the answer is not JSON"
        : "the fetch failed";
    throw new KeySourceUnavailable(`${url}: ${reason}`, { cause: error });
  }
}

/**
 * One fetch at a time, and none sooner than `cooldownMs` after the previous attempt started. `run`
 * answers whether fresh data arrived (false: cooling down, nothing fetched); a failed fetch throws.
 */
export class SingleFlight {
  private pending: Promise<void> | undefined;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  lastError: unknown;

  constructor(private readonly cooldownMs: number) {}

  async run(fetchOnce: () => Promise<void>): Promise<boolean> {
    if (!this.pending) {
      if (Date.now() - this.attemptedAt < this.cooldownMs) return false;
      this.attemptedAt = Date.now();
      this.pending = fetchOnce()
        .then(() => {
          this.lastError = undefined;
        })
        .catch((error: unknown) => {
          this.lastError = error;
          throw error;
        })
        .finally(() => {
          this.pending = undefined;
        });
    }
    await this.pending;
    return true;
  }
}

type LocalKeys = ReturnType<typeof createLocalJWKSet>;

/** A remote JWKS as a jose key resolver: unknown `kid`s refetch at most once per cooldown. */
export class RemoteKeySet {
  private local: LocalKeys | undefined;
  private fetchedAt = 0;
  /** Counts successful fetches: a verification made with older keys may not be reused (a retired key). */
  generation = 0;
  private readonly flight: SingleFlight;

  constructor(
    private readonly url: () => Promise<string>,
    private readonly options: RemoteKeyOptions,
  ) {
    this.flight = new SingleFlight(options.cooldownMs);
  }

  readonly getKey: JWTVerifyGetKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    if (!this.local || Date.now() - this.fetchedAt >= this.options.maxAgeMs) {
      await this.refetch();
      // Cooling down after a failed attempt: fail closed at once rather than wait or fetch again.
      if (!this.local || Date.now() - this.fetchedAt >= this.options.maxAgeMs)
        throw new KeySourceUnavailable("the issuer's keys are unavailable", { cause: this.flight.lastError });
    }
    try {
      return await this.local(header, token);
    } catch (error) {
      // An unknown kid may be a rotated-in key: look again, unless we looked within the cooldown.
      if (!(error instanceof errors.JWKSNoMatchingKey) || !(await this.refetch())) throw error;
      return this.local(header, token);
    }
  };

  private refetch(): Promise<boolean> {
    return this.flight.run(async () => {
      const url = await this.url();
      const document = await fetchJson(url, this.options.timeoutMs);
      let next: LocalKeys;
      try {
        next = createLocalJWKSet(document as Parameters<typeof createLocalJWKSet>[0]);
      } catch (cause) {
        throw new KeySourceUnavailable(`${url} did not answer a JSON Web Key Set`, { cause });
      }
      this.local = next;
      this.fetchedAt = Date.now();
      this.generation += 1;
    });
  }
}

function isHttpUrl(value: unknown): value is string {
  try {
    return typeof value === "string" && ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/**
 * The JWKS URL of an OIDC issuer, from its discovery document, which must name that same issuer.
 * Found once; until then attempts share the key set's timeout and cooldown.
 */
export function discoveredJwksUrl(issuer: string, options: RemoteKeyOptions): () => Promise<string> {
  const flight = new SingleFlight(options.cooldownMs);
  let jwksUri: string | undefined;
  return async () => {
    if (jwksUri) return jwksUri;
    await flight.run(async () => {
      const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
      const document = (await fetchJson(url, options.timeoutMs)) as { issuer?: unknown; jwks_uri?: unknown };
      if (document?.issuer !== issuer) throw new KeySourceUnavailable(`${url} names another issuer`);
      if (!isHttpUrl(document.jwks_uri)) throw new KeySourceUnavailable(`${url} has no http(s) jwks_uri`);
      jwksUri = document.jwks_uri;
    });
    if (!jwksUri)
      throw new KeySourceUnavailable("the issuer's discovery document is unavailable", {
        cause: flight.lastError,
      });
    return jwksUri;
  };
}
