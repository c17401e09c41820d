// weir_transparent_refused_total{listener,reason}: redirected connections a transparent listener closed
// instead of forwarding. Registered once per metrics registry (one per generation). Reasons, a bounded set:
// - "loop": the original destination is weir's own listener, or the peer is one of weir's own tunnels to an
//   original destination (the iptables rules do not exempt weir's user): forwarding would loop;
// - "no_original_dst": conntrack knows no original destination (the connection was not redirected);
// - "unreadable": the socket option could not be read (closed socket, unsupported family).
import { Counter, type Registry } from "prom-client";
import type { Generation } from "../generation.ts";

export const TransparentRefusal = {
  LOOP: "loop",
  NO_ORIGINAL_DST: "no_original_dst",
  UNREADABLE: "unreadable",
} as const;
export type TransparentRefusalReason = (typeof TransparentRefusal)[keyof typeof TransparentRefusal];

export type TransparentRefused = Counter<"listener" | "reason">;

const byRegistry = new WeakMap<Registry, TransparentRefused>();

export function transparentRefused(gen: Generation): TransparentRefused {
  const registry = gen.metrics.registry;
  let counter = byRegistry.get(registry);
  if (counter === undefined) {
    counter = new Counter({
      name: "weir_transparent_refused_total",
      help: "Redirected connections a transparent listener closed instead of forwarding (loop, no_original_dst, unreadable), by listener and reason.",
      labelNames: ["listener", "reason"] as const,
      registers: [registry],
    });
    byRegistry.set(registry, counter);
  }
  return counter;
}
