// Metrics of creates whose outcome is unknown: without customId, an ACS create whose answer was lost may
// have made an identity that can never be found again. Each is counted when it happens, and the ones
// still open are a gauge (the operator's list is the `pendingIdentityOperations` query).
import { Counter, Gauge, type Registry } from "prom-client";

export function consistencyMetrics(registry: Registry, countUnknown: () => Promise<number>) {
  const unknown = new Counter({
    name: "acs_identity_creates_unknown_total",
    help: "ACS creates (without customId) whose outcome became unknown: each may have left an identity in ACS.",
    registers: [registry],
  });
  new Gauge({
    name: "acs_identity_creates_unknown",
    help: "Creates with an unknown outcome still open for an operator (see pendingIdentityOperations).",
    registers: [registry],
    async collect() {
      this.set(await countUnknown().catch(() => Number.NaN));
    },
  });
  return { onUnknownCreate: () => unknown.inc() };
}
