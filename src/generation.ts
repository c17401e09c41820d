// A generation is one loaded config, provisioned into live objects once: upstreams, loggers, metrics.
// Listeners and handlers read only from it; a reload builds a new generation beside the old one.
import type { Config } from "./config/schema/index.ts";
import { type AccessLog, openAccessLog } from "./observe/access-log-writer.ts";
import { createLogger, type Logger, type OutputControl, openOutput } from "./observe/log.ts";
import { teeOutput } from "./observe/log-tee.ts";
import { createMetrics, type Metrics } from "./observe/metrics.ts";
import { Upstream } from "./upstream/upstream.ts";

export interface Generation {
  readonly config: Config;
  readonly log: Logger;
  /** One JSON line per HTTP request or TCP session; undefined when the access log is off. */
  readonly accessLog: AccessLog | undefined;
  readonly metrics: Metrics;
  readonly upstreams: ReadonlyMap<string, Upstream>;
  /** Log outputs, to reopen on SIGUSR1 and flush on exit. */
  readonly outputs: readonly OutputControl[];
}

export interface ProvisionOptions {
  /** Also gets every process log line (not the access log): the admin API's ring, the collectors. */
  onLogLine?: ((line: string) => void) | undefined;
}

export function provision(
  config: Config,
  base: Record<string, unknown> = {},
  opts: ProvisionOptions = {},
): Generation {
  const logOutput = openOutput(config.log.output);
  const outputs: OutputControl[] = [logOutput];
  const processOutput = opts.onLogLine ? teeOutput(logOutput, opts.onLogLine) : logOutput;
  const log = createLogger(config.log.level, processOutput, base);
  let accessLog: AccessLog | undefined;
  if (config.access_log.enabled) {
    // Its own batched writer even when it shares the process log's file: both append whole lines.
    accessLog = openAccessLog(config.access_log.output, { ...base, log: "access" });
    outputs.push(accessLog);
  }
  const metrics = createMetrics();
  const upstreams = new Map(
    Object.entries(config.upstreams).map(([name, u]) => [name, new Upstream(name, u, { log, metrics })]),
  );
  return { config, log, accessLog, metrics, upstreams, outputs };
}
