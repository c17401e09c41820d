import { z } from "zod";
import { doc, duration } from "./fields.ts";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** "stdout", "stderr" or a file path (relative to the config file's folder). */
const output = z.string().min(1);

/** An OTLP/HTTP collector's base URL; weir appends /v1/logs or /v1/metrics (OTLP spec, "OTLP/HTTP"). */
export const OTLP_URL = /^https?:\/\/[^\s/]+(\/[^\s]*)?$/;
/** A syslog collector: "udp://host:port" or "tcp://host:port" (RFC 5426 / RFC 6587 transports). */
export const SYSLOG_URL = /^(udp|tcp):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

const otlpHeaders = doc(
  z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).prefault({}),
  "Extra HTTP headers for every OTLP request (an API key, say); their values are secrets: /config hides them.",
);

const logPushSchema = z
  .strictObject({
    otlp: doc(
      z.string().regex(OTLP_URL, 'expected a URL such as "http://127.0.0.1:4318"').optional(),
      "OTLP/HTTP collector for log lines (JSON encoding, POST <url>/v1/logs). Leave out to send none.",
      { example: "http://127.0.0.1:4318" },
    ),
    otlp_headers: otlpHeaders,
    syslog: doc(
      z.string().regex(SYSLOG_URL, 'expected "udp://host:port" or "tcp://host:port"').optional(),
      "Syslog collector for log lines, RFC 5424 messages over UDP (one per datagram) or TCP (octet counting).",
      { example: "udp://127.0.0.1:514" },
    ),
    facility: doc(
      z.int().min(0).max(23).prefault(16),
      "Syslog facility number (RFC 5424 §6.2.1): 16 is local0, 3 is daemon.",
    ),
    interval: duration("Longest time a line waits before its batch is sent.", "1s"),
    batch: doc(z.int().min(1).max(10_000).prefault(512), "Most lines sent in one OTLP request."),
    queue: doc(
      z.int().min(1).max(1_000_000).prefault(10_000),
      "Most lines waiting per collector; further lines are dropped and counted (weir_log_push_dropped_total).",
    ),
    timeout: duration("Time a collector has to accept a batch before it is dropped and counted.", "5s"),
  })
  .prefault({});

export const logSchema = z
  .strictObject({
    level: doc(z.enum(LOG_LEVELS).prefault("info"), "Lowest level of the process log that is written.", {
      env: "WEIR_LOG_LEVEL",
      flag: "log-level",
    }),
    output: doc(
      output.prefault("stderr").meta({ path: true }),
      'Where the process log goes: "stdout", "stderr", or a file path (reopened on SIGUSR1).',
      { env: "WEIR_LOG_OUTPUT", flag: "log-output" },
    ),
    recent: doc(
      z.int().min(0).max(100_000).prefault(1000),
      "Process log lines of every process kept in memory for the admin API (GET /logs) and the dashboard.",
    ),
    push: doc(logPushSchema, "Send process log lines to collectors too: batched, bounded, never blocking."),
  })
  .prefault({});

export const accessLogSchema = z
  .strictObject({
    enabled: doc(z.boolean().prefault(true), "Write one line per HTTP request and per TCP session.", {
      env: "WEIR_ACCESS_LOG",
      flag: "access-log",
    }),
    output: doc(
      output.prefault("stdout").meta({ path: true }),
      'Where the access log goes: "stdout", "stderr", or a file path (reopened on SIGUSR1).',
      { env: "WEIR_ACCESS_LOG_OUTPUT", flag: "access-log-output" },
    ),
    headers: doc(
      z.array(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/)).prefault(["user-agent", "referer"]),
      "Request headers written in each HTTP line (under `headers`), by name.",
    ),
    redact_headers: doc(
      z.array(z.string().min(1)).prefault([]),
      "Request headers whose values are replaced by [redacted] in the access log; they are written whenever present, so a line still shows that they were sent.",
    ),
    redact_query: doc(
      z.array(z.string().min(1)).prefault([]),
      'Query parameters whose values are replaced by [redacted] in the logged path ("token" turns "?token=abc" into "?token=[redacted]").',
    ),
    sample: doc(
      z.number().min(0).max(1).prefault(1),
      "Fraction of successful (1xx-3xx) HTTP requests and TCP sessions that are logged; errors and 4xx/5xx are always logged.",
    ),
  })
  .prefault({});
