import { z } from "zod";
import { doc } from "./fields.ts";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** "stdout", "stderr" or a file path (relative to the config file's folder). */
const output = z.string().min(1);

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
    redact_headers: doc(
      z.array(z.string().min(1)).prefault([]),
      "Request headers whose values are replaced by [redacted] in the access log.",
    ),
  })
  .prefault({});
