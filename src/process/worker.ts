// The supervisor's handle on one worker process: fork it with the listening descriptors, start it, ask it
// for its metrics, stop it.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TlsFileBytes } from "../tls/handed-files.ts";
import { FIRST_LISTENER_FD, type FromWorker, isMessage, type StartMessage, type ToWorker } from "./ipc.ts";

/** worker-main beside this file: .ts when weir runs from its sources, .js from dist/. */
const WORKER_ENTRY = fileURLToPath(
  new URL(import.meta.url.endsWith(".ts") ? "./worker-main.ts" : "./worker-main.js", import.meta.url),
);

/**
 * V8 flags for workers. Allocation-site pretenuring is off: V8 decides, per object literal, to allocate
 * straight into the old generation once most of a site's objects survive a scavenge. A burst of new
 * TLS connections (objects held across a handshake) tips the request path's literals over that line, and
 * the decision stays when the load turns into keep-alive requests, whose objects die young: every
 * request then leaves a graph in the old generation, each scavenge copies ~5 MB and pauses ~10 ms, and
 * TLS keep-alive costs 25-35% more CPU per request with a p99 three times higher (`npm run bench` tls).
 */
const WORKER_V8_FLAGS = ["--no-allocation-site-pretenuring"];

/** A worker that could not start: `fatal` when it said why (a restart would not help). */
export class WorkerStartError extends Error {
  readonly fatal: boolean;
  constructor(message: string, fatal: boolean) {
    super(message);
    this.name = "WorkerStartError";
    this.fatal = fatal;
  }
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerSpec {
  worker: number;
  generation: number;
  config: StartMessage["config"];
  identity: StartMessage["identity"];
  /** Listening sockets in the supervisor, by listener name. */
  listeners: ReadonlyMap<string, number>;
  /** Receives the worker's process log lines (the supervisor's log hub). */
  onLog?: ((lines: string[]) => void) | undefined;
  /** The TLS files' last good bytes, asked for each time a worker is forked (replacements too). */
  tlsFiles: () => TlsFileBytes;
  /** A message sent right after `start`, made when the worker is forked (the current ACME snapshot). */
  greeting?: (() => ToWorker | undefined) | undefined;
}

export class WorkerProcess {
  readonly child: ChildProcess;
  /** Its number within its generation (1, 2, ...). */
  readonly worker: number;
  /** Resolves when the worker serves every listener; rejects with WorkerStartError otherwise. */
  readonly ready: Promise<void>;
  readonly exited: Promise<WorkerExit>;
  /** Resolves once, after stop(), the worker accepts no more connections (or has exited). */
  readonly notAccepting: Promise<void>;
  readonly #notAccepting = Promise.withResolvers<void>();
  isReady = false;
  stopping = false;
  readonly #pending = new Map<number, (metrics: unknown[]) => void>();
  #nextId = 1;

  constructor(spec: WorkerSpec) {
    this.worker = spec.worker;
    const names = [...spec.listeners.keys()];
    const fds: Record<string, number> = {};
    names.forEach((name, i) => {
      fds[name] = FIRST_LISTENER_FD + i;
    });
    this.child = fork(WORKER_ENTRY, [], {
      execArgv: [...process.execArgv, ...WORKER_V8_FLAGS],
      stdio: ["inherit", "inherit", "inherit", "ipc", ...names.map((n) => spec.listeners.get(n) as number)],
      serialization: "advanced",
    });
    this.notAccepting = this.#notAccepting.promise;
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        this.#notAccepting.resolve();
        for (const answer of this.#pending.values()) answer([]);
        this.#pending.clear();
        resolve({ code, signal });
      }),
    );
    this.ready = new Promise<void>((resolve, reject) => {
      this.child.on("message", (message: unknown) => {
        if (!isMessage<FromWorker>(message)) return;
        if (message.type === "ready") {
          this.isReady = true;
          resolve();
        } else if (message.type === "fatal") reject(new WorkerStartError(message.message, true));
        else if (message.type === "log") spec.onLog?.(message.lines);
        else if (message.type === "not-accepting") this.#notAccepting.resolve();
        else if (message.type === "metrics") {
          this.#pending.get(message.id)?.(message.metrics);
          this.#pending.delete(message.id);
        }
      });
      this.exited.then(({ code, signal }) =>
        reject(
          new WorkerStartError(`worker exited before it was ready (code ${code}, signal ${signal})`, false),
        ),
      );
    });
    this.ready.catch(() => {});
    this.child.on("error", () => {}); // a failed send to a dead worker; 'exit' tells the rest
    this.#send({
      type: "start",
      worker: spec.worker,
      generation: spec.generation,
      config: spec.config,
      identity: spec.identity,
      fds,
      tlsFiles: spec.tlsFiles(),
    });
    const greeting = spec.greeting?.();
    if (greeting !== undefined) this.#send(greeting);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  #send(message: ToWorker): void {
    if (this.child.connected) this.child.send(message);
  }

  /** Graceful stop: the worker stops accepting, drains for `graceMs`, closes the rest and exits. */
  stop(graceMs: number): void {
    this.stopping = true;
    this.#send({ type: "stop", graceMs });
  }

  kill(): void {
    if (this.alive) this.child.kill("SIGKILL");
  }

  reopenLogs(): void {
    this.#send({ type: "reopen" });
  }

  /** New bytes of TLS files that changed (the supervisor checked them). */
  handFiles(files: TlsFileBytes): void {
    this.#send({ type: "tls-files", files });
  }

  /** The worker's prom-client getMetricsAsJSON(); [] if it does not answer within `timeoutMs`. */
  metrics(timeoutMs: number): Promise<unknown[]> {
    if (!this.isReady || !this.child.connected) return Promise.resolve([]);
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve([]);
      }, timeoutMs);
      this.#pending.set(id, (metrics) => {
        clearTimeout(timer);
        resolve(metrics);
      });
      this.#send({ type: "metrics", id });
    });
  }
}
