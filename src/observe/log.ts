// The process log and the access log: JSON lines through pino, to stdout, stderr or a file that is
// reopened on SIGUSR1 (logrotate's copy-less rotation).
import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/** What the process model does with every output: reopen on SIGUSR1, flush before exit. */
export interface OutputControl {
  /** Reopen a file output (after rotation); a no-op for stdout/stderr. */
  reopen(): void;
  /** Write what is buffered, synchronously; used before exit. */
  flush(): void;
}

/** A pino destination (the process log). The access log has its own writer: access-log-writer.ts. */
export interface LogOutput extends OutputControl {
  stream: DestinationStream;
}

export function openOutput(output: string): LogOutput {
  if (output === "stdout" || output === "stderr") {
    const dest = pino.destination({ fd: output === "stdout" ? 1 : 2, sync: false });
    return { stream: dest, reopen() {}, flush: () => dest.flushSync() };
  }
  const dest = pino.destination({ dest: output, mkdir: true, sync: false });
  return { stream: dest, reopen: () => dest.reopen(), flush: () => dest.flushSync() };
}

export function createLogger(level: string, output: LogOutput, base: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    output.stream,
  );
}
