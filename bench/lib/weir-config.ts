/**
 * weir configs for the bench rows. Every HTTP-side row (http, tls, filters, scaling) runs weir as one
 * listener `bench` on 127.0.0.1 in front of the nginx origin, with a route `bench` for every path; the
 * rows differ only in the pieces named below, so each of them reads as what it changes.
 */

/**
 * The `[system]` table: `workers`, and leave to run workers as root (benchmarks often run as root in
 * containers; weir refuses root workers unless told). Not root: an empty line in its place.
 */
export function weirSystem(workers: number): string[] {
  return ["[system]", `workers = ${workers}`, process.getuid?.() === 0 ? "allow_root_workers = true" : ""];
}

export interface WeirHttpConfig {
  logLevel: "warn" | "info";
  /** Absolute paths of weir's log and access log. */
  logFile: string;
  accessLogFile: string;
  /**
   * Set: written out as `[access_log] enabled` and `[metrics] requests` (the HTTP row's on/off pair);
   * unset: weir's defaults.
   */
  observe?: boolean;
  workers: number;
  port: number;
  /** Lines of a `[listeners.bench.tls]` table; unset: plain HTTP. */
  tls?: readonly string[];
  originPort: number;
  /** Routes matched before the `bench` route (whole `[[routes]]` tables). */
  routesBefore?: readonly string[];
  /** Lines appended to the `bench` route (its `[[routes.filters]]`). */
  benchRoute?: readonly string[];
}

/** The config text, ending with a newline. */
export function weirHttpConfig(c: WeirHttpConfig): string {
  return [
    "[log]",
    `level = "${c.logLevel}"`,
    `output = "${c.logFile}"`,
    "[access_log]",
    ...(c.observe === undefined ? [] : [`enabled = ${c.observe}`]),
    `output = "${c.accessLogFile}"`,
    ...(c.observe === undefined ? [] : ["[metrics]", `requests = ${c.observe}`]),
    ...weirSystem(c.workers),
    "[listeners.bench]",
    `address = "127.0.0.1:${c.port}"`,
    'protocol = "http"',
    ...(c.tls === undefined ? [] : ["[listeners.bench.tls]", ...c.tls]),
    "[upstreams.origin]",
    `endpoints = ["127.0.0.1:${c.originPort}"]`,
    ...(c.routesBefore ?? []),
    "[[routes]]",
    'name = "bench"',
    'path_prefix = "/"',
    'upstream = "origin"',
    ...(c.benchRoute ?? []),
    "",
  ].join("\n");
}
