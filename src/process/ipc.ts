// The messages between the supervisor and a worker, over the IPC channel of child_process.fork (structured
// clone: `serialization: "advanced"`). The listening sockets themselves do not travel here: they are the
// child's descriptors 4, 5, ... (the fork's `stdio` array), and `start` says which listener each one is.
import type { AcmeApplied, AcmeMessage } from "../acme/snapshot.ts";
import type { Config } from "../config/schema/index.ts";
import type { TlsFileBytes } from "../tls/handed-files.ts";
import type { Identity } from "./privileges.ts";

/** First descriptor of the passed listening sockets in a worker: after stdin, stdout, stderr and IPC. */
export const FIRST_LISTENER_FD = 4;

export interface StartMessage {
  type: "start";
  /** Worker number within its generation, for logs. */
  worker: number;
  /** The supervisor's generation counter: 1 at start, +1 per reload. */
  generation: number;
  /** The config the supervisor validated: workers never read the file themselves. */
  config: Config;
  identity: Identity;
  /** Listener name → descriptor number in the worker. */
  fds: Record<string, number>;
  /**
   * Every TLS file the config names (certificates, keys, CA bundles, ticket keys), by path: the last good
   * bytes the supervisor read and checked. The worker never reads these files: it may not be allowed to.
   */
  tlsFiles: TlsFileBytes;
}

export type ToWorker =
  | StartMessage
  /** Stop accepting now; in-flight work may finish for `graceMs`, then the rest is closed and it exits. */
  | { type: "stop"; graceMs: number }
  /** prom-client's getMetricsAsJSON() of this worker, answered with the same `id`. */
  | { type: "metrics"; id: number }
  /** Reopen file log outputs (log rotation); the supervisor has already created the new files. */
  | { type: "reopen" }
  /** ACME certificates and pending challenges, whole; answered with AcmeApplied. */
  | AcmeMessage
  /** Certificate files of this generation that changed on disk and checked out (a pair at a time). */
  | { type: "tls-files"; files: TlsFileBytes };

export type FromWorker =
  | { type: "ready" }
  /** Setup failed for a reason a restart will not fix (privileges, listener); the worker exits after. */
  | { type: "fatal"; message: string }
  | { type: "metrics"; id: number; metrics: unknown[] }
  /** Process log lines of the worker (JSON, no newline), for the supervisor's ring and collectors. */
  | { type: "log"; lines: string[] }
  /** After `stop`: its listeners are closed, so it accepts nothing more; it drains what it holds. */
  | { type: "not-accepting" }
  | AcmeApplied;

export function isMessage<T extends { type: string }>(value: unknown): value is T {
  return (
    typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string"
  );
}
