import { z } from "zod";
import { doc, duration } from "./fields.ts";
import { OTLP_URL } from "./log.ts";

const metricsPushSchema = z
  .strictObject({
    otlp: doc(
      z.string().regex(OTLP_URL, 'expected a URL such as "http://127.0.0.1:4318"').optional(),
      "OTLP/HTTP collector that receives every metric (JSON encoding, POST <url>/v1/metrics). Leave out to push none.",
      { example: "http://127.0.0.1:4318" },
    ),
    otlp_headers: doc(
      z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).prefault({}),
      "Extra HTTP headers for every OTLP request; their values are secrets: /config hides them.",
    ),
    interval: duration("How often the metrics of the whole instance are pushed.", "15s"),
    timeout: duration("Time the collector has to accept one push; a slower push is abandoned.", "5s"),
  })
  .prefault({});

export const metricsSchema = z
  .strictObject({
    requests: doc(
      z.boolean().prefault(true),
      "Count every HTTP request (weir_http_requests_total, the request and upstream latency histograms). Off saves their per-request cost; connection, upstream, TLS and process metrics stay.",
    ),
    push: doc(metricsPushSchema, "Push the same metrics that /metrics serves, combined over all workers."),
  })
  .prefault({});
