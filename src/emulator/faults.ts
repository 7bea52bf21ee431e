/** A fault to inject into ACS API requests (never into /_emulator/ routes). */
export type FaultRule = (
  | { kind: "latency"; latencyMs: number }
  | { kind: "throttle"; retryAfterSeconds?: number }
  | { kind: "unavailable"; retryAfterSeconds?: number }
  | { kind: "drop" }
) & {
  /** Share of matching requests hit, 0..1 (default 1). */
  ratio?: number;
  /** Hit at most the next N matching requests (after `ratio`), then the rule is spent and removed. */
  count?: number;
  /** Only requests with this method (e.g. "DELETE"). */
  method?: string;
  /** Only requests whose raw path starts with this (e.g. "/identities"). */
  pathPrefix?: string;
};

export interface FaultOptions {
  /** Seed for `ratio` draws, so a test sees the same hits on every run; default Math.random. */
  seed?: number;
}

export type FaultDecision = {
  latencyMs: number;
  outcome?: Exclude<FaultRule["kind"], "latency">;
  retryAfterSeconds?: number;
};

export const FAULT_KINDS = ["latency", "throttle", "unavailable", "drop"] as const;

export class FaultController {
  private rules: FaultRule[] = [];
  private random: () => number = Math.random;
  injected = 0;

  /** Replaces every rule; throws (changing nothing) when one is invalid. */
  set(rules: FaultRule[], options: FaultOptions = {}): void {
    if (!Array.isArray(rules)) throw new Error("rules must be an array");
    const checked = rules.map((rule) => validateRule(rule));
    if (options.seed !== undefined && !Number.isInteger(options.seed))
      throw new Error("seed must be an integer");
    this.rules = checked;
    this.random = options.seed === undefined ? Math.random : seededRandom(options.seed);
  }

  clear(): void {
    this.rules = [];
    this.random = Math.random;
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /** Which faults hit this request: all latency that applies, then the first terminal fault. */
  decide(method: string, pathname: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    if (this.rules.length === 0) return decision;
    for (const rule of this.rules) {
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.pathPrefix && !pathname.startsWith(rule.pathPrefix)) continue;
      if (rule.kind !== "latency" && decision.outcome) continue;
      if (rule.count !== undefined && rule.count <= 0) continue;
      const ratio = rule.ratio ?? 1;
      if (ratio < 1 && this.random() >= ratio) continue;
      if (rule.count !== undefined) rule.count -= 1;
      this.injected += 1;
      if (rule.kind === "latency") decision.latencyMs += rule.latencyMs;
      else {
        decision.outcome = rule.kind;
        if ("retryAfterSeconds" in rule) decision.retryAfterSeconds = rule.retryAfterSeconds;
      }
    }
    this.rules = this.rules.filter((rule) => rule.count === undefined || rule.count > 0);
    return decision;
  }
}

function validateRule(rule: FaultRule): FaultRule {
  if (!rule || typeof rule !== "object" || !FAULT_KINDS.includes(rule.kind))
    throw new Error(`fault kind must be one of ${FAULT_KINDS.join(", ")}`);
  if (rule.ratio !== undefined && !(typeof rule.ratio === "number" && rule.ratio >= 0 && rule.ratio <= 1))
    throw new Error("ratio must be within 0..1");
  if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count >= 0))
    throw new Error("count must be a whole number");
  if (rule.method !== undefined && typeof rule.method !== "string")
    throw new Error("method must be a string");
  if (rule.pathPrefix !== undefined && typeof rule.pathPrefix !== "string")
    throw new Error("pathPrefix must be a string");
  if (
    rule.kind === "latency" &&
    !(typeof rule.latencyMs === "number" && Number.isFinite(rule.latencyMs) && rule.latencyMs >= 0)
  )
    throw new Error("latencyMs must be a number >= 0");
  if (
    "retryAfterSeconds" in rule &&
    rule.retryAfterSeconds !== undefined &&
    !(Number.isInteger(rule.retryAfterSeconds) && rule.retryAfterSeconds >= 0)
  ) {
    // Retry-After in seconds is a whole number on the wire.
    throw new Error("retryAfterSeconds must be a whole number >= 0");
  }
  return { ...rule };
}

/** mulberry32: small, fast and good enough to spread fault hits reproducibly. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
