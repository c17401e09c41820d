// Log lines as an OTLP ExportLogsServiceRequest in the JSON encoding (logs.proto): one LogRecord per
// line, its message as the body and its other fields as attributes. Severity numbers follow the
// OpenTelemetry log data model's ranges (TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21).
import type { LogEntry } from "../log-entry.ts";
import { attributes, type KeyValue, unixNano, weirResource } from "./otlp-http.ts";

const SEVERITY: Readonly<Record<string, number>> = {
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
};

/** Fields that become the record's own (time, severity, body) rather than attributes. */
const OWN_FIELDS = new Set(["time", "level", "msg"]);

export function encodeLogs(entries: readonly LogEntry[]): unknown {
  const now = unixNano(Date.now());
  const logRecords = entries.map((e) => {
    const attrs: KeyValue[] = attributes(
      Object.fromEntries(Object.entries(e.record).filter(([k]) => !OWN_FIELDS.has(k))),
    );
    return {
      timeUnixNano: unixNano(e.time),
      observedTimeUnixNano: now,
      severityNumber: SEVERITY[e.levelName] ?? 9,
      severityText: e.levelName.toUpperCase(),
      body: { stringValue: e.msg },
      attributes: attrs,
    };
  });
  return {
    resourceLogs: [{ resource: weirResource(), scopeLogs: [{ scope: { name: "weir" }, logRecords }] }],
  };
}
