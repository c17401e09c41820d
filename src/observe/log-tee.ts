// A log output that also hands every line to `onLine` (the ring, the collectors, the supervisor). pino
// writes whole lines to its destination, one write per line, so the tee sees lines, never fragments.
import type { DestinationStream } from "pino";
import type { LogOutput } from "./log.ts";

export function teeOutput(output: LogOutput, onLine: (line: string) => void): LogOutput {
  const inner = output.stream;
  const stream: DestinationStream = {
    write(line: string) {
      inner.write(line);
      try {
        onLine(line);
      } catch {
        // The tee must never break the log itself.
      }
    },
  };
  return { stream, reopen: () => output.reopen(), flush: () => output.flush() };
}
