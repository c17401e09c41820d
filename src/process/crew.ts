// The workers of one config generation: `system.workers` processes on the same listening sockets. A worker
// that dies while the crew serves is replaced, after a delay that doubles while replacements keep dying
// young (100 ms up to 30 s) and resets once one has lived a minute.
import type { Logger } from "../observe/log.ts";
import type { TlsFileBytes } from "../tls/handed-files.ts";
import { type WorkerExit, WorkerProcess, type WorkerSpec, WorkerStartError } from "./worker.ts";

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 30_000;
/** A replacement that lived this long was healthy: the next crash starts the backoff over. */
const HEALTHY_AFTER_MS = 60_000;
/** How long a whole crew may take to start before the start (or reload) is abandoned. */
export const START_TIMEOUT_MS = 30_000;

export type CrewSpec = Omit<WorkerSpec, "worker">;

export class Crew {
  readonly spec: CrewSpec;
  readonly #log: Logger;
  readonly #slots: (WorkerProcess | undefined)[];
  readonly #backoff: number[];
  readonly #timers = new Set<NodeJS.Timeout>();
  #serving = false;
  #stopped = false;
  /** Called each time a worker that died while serving is replaced (weir_worker_restarts_total). */
  readonly #onRestart: (() => void) | undefined;

  constructor(spec: CrewSpec, log: Logger, onRestart?: () => void) {
    this.spec = spec;
    this.#log = log;
    this.#onRestart = onRestart;
    const n = spec.config.system.workers;
    this.#slots = new Array(n).fill(undefined);
    this.#backoff = new Array(n).fill(0);
  }

  /** Forks every worker; resolves when all serve. On failure, kills them all and rejects. */
  async start(): Promise<void> {
    const workers = this.#slots.map((_, i) => this.#spawn(i));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WorkerStartError(`workers not ready after ${START_TIMEOUT_MS} ms`, false)),
        START_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([Promise.all(workers.map((w) => w.ready)), timeout]);
    } catch (err) {
      this.#stopped = true;
      for (const w of workers) w.kill();
      await Promise.all(workers.map((w) => w.exited));
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.#serving = true;
  }

  #spawn(slot: number): WorkerProcess {
    const w = new WorkerProcess({ ...this.spec, worker: slot + 1 });
    const born = Date.now();
    this.#slots[slot] = w;
    this.#log.debug({ worker: slot + 1, pid: w.pid, generation: this.spec.generation }, "worker forked");
    w.exited.then((exit) => this.#onExit(slot, w, exit, Date.now() - born));
    return w;
  }

  #onExit(slot: number, w: WorkerProcess, exit: WorkerExit, livedMs: number): void {
    if (this.#slots[slot] === w) this.#slots[slot] = undefined;
    if (this.#stopped || w.stopping || !this.#serving) return;
    if (livedMs >= HEALTHY_AFTER_MS) this.#backoff[slot] = 0;
    const delay = this.#backoff[slot];
    this.#backoff[slot] = Math.min(MAX_BACKOFF_MS, Math.max(FIRST_BACKOFF_MS, delay * 2));
    this.#log.error(
      { worker: slot + 1, pid: w.pid, code: exit.code, signal: exit.signal, restart_in_ms: delay },
      "worker died; replacing it",
    );
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#stopped) return;
      this.#onRestart?.();
      const replacement = this.#spawn(slot);
      replacement.ready.then(
        () => this.#log.info({ worker: slot + 1, pid: replacement.pid }, "worker replaced"),
        (err: Error) => this.#log.error({ worker: slot + 1, err: err.message }, "replacement worker failed"),
      );
    }, delay);
    this.#timers.add(timer);
  }

  get workers(): WorkerProcess[] {
    return this.#slots.filter((w): w is WorkerProcess => w !== undefined);
  }

  /**
   * Graceful stop of every worker: each stops accepting and drains for `graceMs`; any still alive at
   * `hardStopMs` is killed. Resolves when all have exited.
   */
  async stop(graceMs: number, hardStopMs: number): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const workers = this.workers;
    for (const w of workers) w.stop(graceMs);
    const kill = setTimeout(() => {
      for (const w of workers) {
        if (w.alive) this.#log.warn({ pid: w.pid }, "worker still running at shutdown_timeout; killing it");
        w.kill();
      }
    }, hardStopMs);
    await Promise.all(workers.map((w) => w.exited));
    clearTimeout(kill);
  }

  /** Resolves when every worker told to stop accepts no more connections (or is gone). */
  notAccepting(): Promise<void> {
    return Promise.all(this.workers.map((w) => w.notAccepting)).then(() => {});
  }

  reopenLogs(): void {
    for (const w of this.workers) w.reopenLogs();
  }

  /** Hands changed TLS files to every live worker; those forked later get them in their start message. */
  handFiles(files: TlsFileBytes): void {
    for (const w of this.workers) w.handFiles(files);
  }

  /** Every live worker's getMetricsAsJSON(), for AggregatorRegistry.aggregate. */
  metrics(timeoutMs: number): Promise<unknown[][]> {
    return Promise.all(this.workers.map((w) => w.metrics(timeoutMs)));
  }
}
