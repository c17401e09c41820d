// `health` of an upstream: active checks (a probe per endpoint on a timer), passive checks (what real
// traffic shows), and what happens when every endpoint is down.
import { z } from "zod";
import { STATUS_RANGE } from "../../upstream/health/status-range.ts";
import { doc, duration } from "./fields.ts";

export const healthSchema = z
  .strictObject({
    check: doc(
      z.enum(["none", "tcp", "http"]).optional(),
      'Active check: "tcp" (a connect), "http" (a request to `http_path`) or "none"; default "http" when `http_path` is set, else "none".',
    ),
    http_path: doc(z.string().startsWith("/").optional(), "Path an HTTP check requests, e.g. /healthz."),
    http_method: doc(z.enum(["GET", "HEAD", "OPTIONS"]).prefault("GET"), "Method of an HTTP check."),
    http_host: doc(
      z.string().min(1).optional(),
      "Host header of an HTTP check; default the endpoint's address.",
    ),
    expect_status: doc(
      z.string().regex(STATUS_RANGE, 'expected a status or a range such as "200-399"').prefault("200-399"),
      'Statuses an HTTP check accepts: one ("204") or a range ("200-399").',
    ),
    interval: duration("Time between two checks of an endpoint.", "10s"),
    timeout: duration("Time a check may take; longer counts as a failure.", "2s"),
    rise: doc(z.int().min(1).prefault(2), "Consecutive successful checks that bring an endpoint up."),
    fall: doc(z.int().min(1).prefault(3), "Consecutive failed checks that take an endpoint down."),
    start: doc(
      z.enum(["healthy", "unknown"]).prefault("healthy"),
      'State of a new endpoint: "healthy" serves at once; "unknown" waits for its first successful check.',
    ),
    passive_failures: doc(
      z.int().min(0).prefault(3),
      "Consecutive failed requests (connect failures; 5xx too with `passive_5xx`) that eject an endpoint; 0 turns passive checks off.",
    ),
    passive_5xx: doc(z.boolean().prefault(false), "Count 5xx responses as failures for passive checks."),
    eject_time: duration("First ejection time; each further ejection in a row doubles it.", "5s"),
    max_eject_time: duration("Longest ejection.", "5m"),
    panic: doc(
      z.boolean().prefault(false),
      "When every endpoint is down, spread requests over all of them anyway (panic mode) instead of answering 503 at once.",
    ),
  })
  .superRefine((h, ctx) => {
    if (h.check === "http" && h.http_path === undefined)
      ctx.addIssue({ code: "custom", path: ["http_path"], message: 'check = "http" needs an http_path' });
    if (h.timeout > h.interval)
      ctx.addIssue({ code: "custom", path: ["timeout"], message: "timeout is longer than interval" });
  });

export type HealthConfig = z.output<typeof healthSchema>;
