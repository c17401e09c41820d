// The end of a raw TCP session, accounted the same way wherever the tunnel went (an upstream's endpoint,
// or a transparent connection's original destination): byte and close counters, and one access log line.
import type { Generation } from "../generation.ts";
import { accessLogPolicy } from "../observe/access-redact.ts";
import type { TunnelStats } from "../tunnel/tunnel.ts";
import type { ConnectionContext } from "./connection.ts";

/** What a session's access log line says about where it went: upstream, endpoint, original_dst... */
export type SessionTarget = Readonly<Record<string, unknown>>;

function line(ctx: ConnectionContext, target: SessionTarget, fields: Record<string, unknown>) {
  return {
    type: "tcp",
    listener: ctx.listener,
    conn: ctx.id,
    client: ctx.clientAddress,
    client_port: ctx.clientPort,
    ...target,
    ...fields,
  };
}

/** A tunnel closed: counters always, the access log line unless sampling leaves a clean session out. */
export function recordTunnelEnd(
  gen: Generation,
  ctx: ConnectionContext,
  target: SessionTarget,
  stats: TunnelStats,
  timing: { startedAt: number; connectMs: number },
): void {
  const m = gen.metrics;
  m.tunnelBytes.inc({ listener: ctx.listener, direction: "in" }, stats.bytesFromClient);
  m.tunnelBytes.inc({ listener: ctx.listener, direction: "out" }, stats.bytesFromUpstream);
  m.tunnelsClosed.inc({ listener: ctx.listener, reason: stats.closeReason });
  if (!accessLogPolicy(gen.config).keepSession(stats.closeReason !== "done")) return;
  gen.accessLog?.info(
    line(ctx, target, {
      bytes_in: stats.bytesFromClient,
      bytes_out: stats.bytesFromUpstream,
      duration_ms: Date.now() - timing.startedAt,
      connect_ms: Math.round(timing.connectMs * 1000) / 1000,
      close: stats.closeReason,
      first_closed: stats.firstClosed,
    }),
  );
}

/** The connect failed for good (no endpoint left to try): the session's one access log line. */
export function recordConnectFailure(
  gen: Generation,
  ctx: ConnectionContext,
  target: SessionTarget,
  code: string,
  startedAt: number,
): void {
  gen.accessLog?.info(
    line(ctx, target, {
      bytes_in: 0,
      bytes_out: 0,
      duration_ms: Date.now() - startedAt,
      close: "connect_failed",
      error: code,
    }),
  );
}
