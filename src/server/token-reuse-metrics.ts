import { Counter, type Registry } from "prom-client";
import type { TokenReuseStats } from "../identity/token-reuse";

/** Token reuse on /metrics: every hit is an ACS issue call (and its quota) saved. */
export function watchTokenReuse(registry: Registry, stats: TokenReuseStats): void {
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counter(
    "token_reuse_hits_total",
    "Mints answered with a kept token: ACS issue calls saved.",
    () => stats.hits,
  );
  counter("token_reuse_misses_total", "Mints that went to ACS with token reuse on.", () => stats.misses);
  counter(
    "token_reuse_cache_errors_total",
    "Token cache reads or writes that failed.",
    () => stats.cacheErrors,
  );
}
