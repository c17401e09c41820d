/**
 * HAProxy configs for the HTTP and TLS rows: one thread, HTTP keep-alive on both sides with idle server
 * connections shared between clients, and one backend `origin`. Both rows write theirs here, so the
 * settings they are compared under cannot drift apart.
 */

export interface HaproxyHttpConfig {
  /** Extra `global` lines (indented), e.g. turning the TLS session cache off. */
  global?: readonly string[];
  /** The `bind` lines of the frontend (indented). */
  binds: readonly string[];
  originPort: number;
}

/** The config text, ending with a newline. */
export function haproxyHttpConfig(c: HaproxyHttpConfig): string {
  return [
    "global",
    "  nbthread 1",
    "  maxconn 4096",
    ...(c.global ?? []),
    "defaults",
    "  mode http",
    "  option http-keep-alive",
    "  http-reuse always",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  timeout http-keep-alive 300s",
    "frontend bench",
    ...c.binds,
    "  default_backend origin",
    "backend origin",
    `  server origin 127.0.0.1:${c.originPort}`,
    "",
  ].join("\n");
}
