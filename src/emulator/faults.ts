/** A fault to inject into ACS API requests (never into /_emulator/ routes). */
export type FaultRule = (
  | { kind: "latency"; latencyMs: number }
  | { kind: "throttle"; retryAfterSeconds?: number }
  | { kind: "unavailable"; retryAfterSeconds?: number }
  | { kind: "drop" }
) & {
  /** Share of matching requests hit, 0..1 (default 1 when count is not given). */
  ratio?: number;
  /** Hit only the next N matching requests, then the rule is spent. */
  count?: number;
  /** Only requests with this method (e.g. "DELETE"). */
  method?: string;
  /** Only requests whose path starts with this (e.g. "/identities"). */
  pathPrefix?: string;
};

export type FaultDecision = {
  latencyMs: number;
  outcome?: Exclude<FaultRule["kind"], "latency">;
  retryAfterSeconds?: number;
};

export const FAULT_KINDS = ["latency", "throttle", "unavailable", "drop"] as const;

export class FaultController {
  private rules: FaultRule[] = [];
  injected = 0;

  set(rules: FaultRule[]): void {
    this.rules = rules.map((rule) => validateRule(rule));
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /** Which faults hit this request: all latency that applies, then the first terminal fault. */
  decide(method: string, pathname: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    for (const rule of this.rules) {
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.pathPrefix && !pathname.startsWith(rule.pathPrefix)) continue;
      if (rule.kind !== "latency" && decision.outcome) continue;
      if (rule.count !== undefined) {
        if (rule.count <= 0) continue;
        rule.count -= 1;
      } else if (Math.random() >= (rule.ratio ?? 1)) continue;
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
  if (!rule || !FAULT_KINDS.includes(rule.kind))
    throw new Error(`fault kind must be one of ${FAULT_KINDS.join(", ")}`);
  if (rule.ratio !== undefined && !(rule.ratio >= 0 && rule.ratio <= 1))
    throw new Error("ratio must be within 0..1");
  if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count >= 0))
    throw new Error("count must be a whole number");
  if (rule.kind === "latency" && !(Number.isFinite(rule.latencyMs) && rule.latencyMs >= 0))
    throw new Error("latencyMs must be >= 0");
  if ("retryAfterSeconds" in rule && rule.retryAfterSeconds !== undefined && !(rule.retryAfterSeconds >= 0)) {
    throw new Error("retryAfterSeconds must be >= 0");
  }
  return { ...rule };
}
