// The supervisor's signals. Handlers are what make weir a correct PID 1 in a container: the kernel drops
// every signal sent to PID 1 for which it has no handler (SIG_DFL), so without them `docker stop` would
// wait out its timeout and SIGKILL. Our own children (the workers) are reaped by libuv's SIGCHLD handling.
export interface SignalActions {
  /** SIGTERM, SIGINT: graceful stop. */
  stop(signal: NodeJS.Signals): void;
  /** SIGHUP: reload the config. */
  reload(): void;
  /** SIGUSR1: reopen log files. */
  reopenLogs(): void;
}

/** Installs the handlers; returns a function that removes them. */
export function handleSignals(actions: SignalActions): () => void {
  const handlers: [NodeJS.Signals, () => void][] = [
    ["SIGTERM", () => actions.stop("SIGTERM")],
    ["SIGINT", () => actions.stop("SIGINT")],
    ["SIGHUP", () => actions.reload()],
    ["SIGUSR1", () => actions.reopenLogs()],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
