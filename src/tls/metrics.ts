// TLS counters, registered in the generation's registry beside the core metrics (and aggregated by the
// supervisor with them). Reasons are a bounded set: weir's own names, the ClientHello parser's codes,
// or OpenSSL's reason codes (ERR_SSL_*) lower-cased, never free text.
import { Counter, type Registry } from "prom-client";
import type { Generation } from "../generation.ts";

export interface TlsMetrics {
  /** Connections that ended before or during the handshake, by listener and reason. */
  readonly failures: Counter<"listener" | "reason">;
  /** Completed handshakes, by listener, version ("TLSv1.3"), and whether the session was resumed. */
  readonly handshakes: Counter<"listener" | "version" | "resumed">;
  /** Connections passed through untouched by SNI, by listener and route. */
  readonly passthrough: Counter<"listener" | "route">;
  /** Certificate file changes picked up or refused, when this process reads the files (one process). */
  readonly certificateReloads: Counter<"listener" | "result">;
}

/**
 * weir_tls_certificate_reloads_total{listener,result}: changed certificate files swapped in ("success")
 * or refused, the last good ones serving on ("failed"). Counted by the process that reads the files:
 * the supervisor (its registry; workers only apply what it hands them), or weir in one process.
 */
export function certificateReloadsCounter(registry: Registry): Counter<"listener" | "result"> {
  return new Counter({
    name: "weir_tls_certificate_reloads_total",
    help: "Certificate file changes picked up (success) or refused while the last good ones serve on (failed), by listener.",
    labelNames: ["listener", "result"] as const,
    registers: [registry],
  });
}

const byGeneration = new WeakMap<Generation, TlsMetrics>();

export function tlsMetrics(gen: Generation): TlsMetrics {
  let m = byGeneration.get(gen);
  if (m !== undefined) return m;
  const registers = [gen.metrics.registry];
  m = {
    failures: new Counter({
      name: "weir_tls_failures_total",
      help: "TLS connections that failed before or during the handshake, by listener and reason.",
      labelNames: ["listener", "reason"] as const,
      registers,
    }),
    handshakes: new Counter({
      name: "weir_tls_handshakes_total",
      help: "Completed TLS handshakes, by listener, version and resumption.",
      labelNames: ["listener", "version", "resumed"] as const,
      registers,
    }),
    passthrough: new Counter({
      name: "weir_tls_passthrough_total",
      help: "TLS connections passed through by SNI without termination, by listener and route.",
      labelNames: ["listener", "route"] as const,
      registers,
    }),
    certificateReloads: certificateReloadsCounter(gen.metrics.registry),
  };
  byGeneration.set(gen, m);
  return m;
}

/** A bounded metric label for a handshake error: "no_shared_cipher", "unsupported_protocol", ... */
export function handshakeFailureReason(err: NodeJS.ErrnoException): string {
  const code = err.code ?? "";
  if (code.startsWith("ERR_SSL_")) return code.slice(8).toLowerCase();
  if (code === "ECONNRESET" || code === "EPIPE") return "client_reset";
  if (code.startsWith("ERR_TLS_")) return code.slice(8).toLowerCase();
  return "handshake_error";
}
