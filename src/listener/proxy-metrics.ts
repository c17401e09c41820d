// weir_proxy_header_failures_total{listener,code}: PROXY headers that closed their connection. Registered
// once per metrics registry (one per generation) beside the process's other metrics. Codes are the codec's
// ProxyHeaderErrorCode values plus the reader's own (PROXY_TIMEOUT, PROXY_TRUNCATED): a bounded set.
import { Counter, type Registry } from "prom-client";
import type { Generation } from "../generation.ts";

export type ProxyHeaderFailures = Counter<"listener" | "code">;

const byRegistry = new WeakMap<Registry, ProxyHeaderFailures>();

export function proxyHeaderFailures(gen: Generation): ProxyHeaderFailures {
  const registry = gen.metrics.registry;
  let counter = byRegistry.get(registry);
  if (counter === undefined) {
    counter = new Counter({
      name: "weir_proxy_header_failures_total",
      help: "Connections closed because their PROXY header was malformed, truncated, too large or late, by listener and code.",
      labelNames: ["listener", "code"] as const,
      registers: [registry],
    });
    byRegistry.set(registry, counter);
  }
  return counter;
}
