// A worker process (stage 2): forked by the supervisor with the listening sockets as descriptors 4, 5, ...
// It waits for `start`, takes the TLS files' bytes from it (it never reads them: handed-files.ts), drops
// privileges, provisions the config it was given, serves those sockets, and says `ready`. It stops on
// `stop`, on SIGTERM/SIGINT (a whole process group or cgroup being stopped), or when the supervisor is
// gone (IPC disconnect): always gracefully, then exits 0.
import { onAcmeMessage } from "../acme/served.ts";
import { type Generation, provision } from "../generation.ts";
import type { ListenSource } from "../listener/listener.ts";
import { LogForwarder } from "../observe/log-forward.ts";
import { registerRuntimeMetrics } from "../observe/runtime-metrics.ts";
import { installHandedFiles, updateHandedFiles } from "../tls/handed-files.ts";
import { type FromWorker, isMessage, type StartMessage, type ToWorker } from "./ipc.ts";
import { dropPrivileges } from "./privileges.ts";
import { type Serving, startListeners } from "./serve.ts";

let gen: Generation | undefined;
let serving: Serving | undefined;
let stopping = false;
/** This worker's process log lines on their way to the supervisor (its ring and collectors). */
let forwarder: LogForwarder | undefined;

function send(message: FromWorker, then?: () => void): void {
  if (process.connected) process.send?.(message, undefined, {}, () => then?.());
  else then?.();
}

async function start(message: StartMessage): Promise<void> {
  // Before anything can read one: TLS files come from the supervisor, never from disk.
  installHandedFiles(message.tlsFiles);
  try {
    dropPrivileges(message.identity);
    // Lines logged before the generation exists have nowhere to go yet; the forwarder takes the rest.
    let forward: LogForwarder | undefined;
    gen = provision(
      message.config,
      { worker: message.worker, generation: message.generation },
      { onLogLine: (line) => forward?.line(line) },
    );
    forwarder = forward = new LogForwarder((lines, done) => {
      // send() queues even when it returns false (a backlog); `done` says when it went out.
      if (!process.connected || process.send === undefined) return false;
      process.send({ type: "log", lines } satisfies FromWorker, undefined, {}, () => done());
      return true;
    }, gen.metrics.logPushDropped);
    registerRuntimeMetrics(gen.metrics.registry, {
      worker: String(message.worker),
      generation: String(message.generation),
    });
    const sources = new Map<string, ListenSource>();
    for (const [name, fd] of Object.entries(message.fds)) sources.set(name, { fd });
    serving = await startListeners(gen, sources);
  } catch (err) {
    for (const o of gen?.outputs ?? []) o.flush();
    send({ type: "fatal", message: (err as Error).message }, () => process.exit(1));
    return;
  }
  if (stopping) return stop(message.config.system.grace_period);
  send({ type: "ready" });
}

async function stop(graceMs: number): Promise<void> {
  if (stopping && serving === undefined) return;
  stopping = true;
  const s = serving;
  serving = undefined;
  if (s === undefined) {
    if (gen === undefined) process.exit(0);
    return; // still starting: start() calls stop() once its listeners exist
  }
  // Closing starts with each listener's server.close(), synchronously: nothing is accepted after this.
  const closed = s.close(graceMs);
  send({ type: "not-accepting" });
  await closed;
  forwarder?.flush();
  for (const o of gen?.outputs ?? []) o.flush();
  process.exit(0);
}

process.on("message", (message: unknown) => {
  if (!isMessage<ToWorker>(message)) return;
  switch (message.type) {
    case "start":
      void start(message);
      break;
    case "stop":
      void stop(message.graceMs);
      break;
    case "metrics":
      void (gen?.metrics.registry.getMetricsAsJSON() ?? Promise.resolve([])).then(
        (metrics) => send({ type: "metrics", id: message.id, metrics }),
        () => send({ type: "metrics", id: message.id, metrics: [] }),
      );
      break;
    case "reopen":
      for (const o of gen?.outputs ?? []) o.reopen();
      break;
    case "acme":
      onAcmeMessage(message, (reply) => send(reply));
      break;
    case "tls-files":
      updateHandedFiles(message.files);
      break;
  }
});

const graceful = () => void stop(gen?.config.system.grace_period ?? 0);
process.on("SIGTERM", graceful);
process.on("SIGINT", graceful);
process.on("disconnect", graceful);
// The supervisor alone acts on these; a terminal hangup or `kill -USR1` on the group must not kill us
// (SIGHUP's default) or open the inspector (SIGUSR1's default in Node).
process.on("SIGHUP", () => {});
process.on("SIGUSR1", () => {});
