// The combined registry (prom-client's getMetricsAsJSON of every process, aggregated) as an OTLP
// ExportMetricsServiceRequest in the JSON encoding (metrics.proto). Counters become monotonic cumulative
// sums, gauges gauges, histograms explicit-bucket histograms (prom-client's cumulative "le" buckets turned
// into per-bucket counts, the +Inf bucket last), summaries summaries. Cumulative temporality throughout,
// from `startMs` (when this instance started counting).
import { attributes, unixNano, weirResource } from "./otlp-http.ts";

/** The shape of prom-client's MetricObjectWithValues, as far as it is read here. */
export interface PromMetricJson {
  name: string;
  help: string;
  type: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

const CUMULATIVE = 2; // AGGREGATION_TEMPORALITY_CUMULATIVE

export function encodeMetrics(metrics: readonly PromMetricJson[], startMs: number, nowMs: number): unknown {
  const start = unixNano(startMs);
  const now = unixNano(nowMs);
  const point = (labels: Record<string, string | number>) => ({
    attributes: attributes(labels),
    startTimeUnixNano: start,
    timeUnixNano: now,
  });
  const out: unknown[] = [];
  for (const m of metrics) {
    const base = { name: m.name, description: m.help, unit: unitOf(m.name) };
    if (m.type === "counter") {
      const dataPoints = m.values.map((v) => ({ ...point(v.labels), asDouble: v.value }));
      out.push({ ...base, sum: { dataPoints, aggregationTemporality: CUMULATIVE, isMonotonic: true } });
    } else if (m.type === "gauge") {
      out.push({
        ...base,
        gauge: { dataPoints: m.values.map((v) => ({ ...point(v.labels), asDouble: v.value })) },
      });
    } else if (m.type === "histogram") {
      out.push({
        ...base,
        histogram: { dataPoints: histogramPoints(m, point), aggregationTemporality: CUMULATIVE },
      });
    } else if (m.type === "summary") {
      out.push({ ...base, summary: { dataPoints: summaryPoints(m, point) } });
    }
  }
  return {
    resourceMetrics: [
      { resource: weirResource(), scopeMetrics: [{ scope: { name: "weir" }, metrics: out }] },
    ],
  };
}

/** UCUM units from the Prometheus naming convention's suffixes. */
function unitOf(name: string): string {
  if (name.endsWith("_seconds") || name.includes("_seconds_")) return "s";
  if (name.endsWith("_bytes") || name.includes("_bytes_")) return "By";
  return "1";
}

type Labels = Record<string, string | number>;

/** Values grouped by their label set without the key `drop` (le, quantile). */
function bySeries(m: PromMetricJson, drop: string) {
  const series = new Map<string, { labels: Labels; values: PromMetricJson["values"] }>();
  for (const v of m.values) {
    const labels: Labels = {};
    for (const [k, x] of Object.entries(v.labels)) if (k !== drop) labels[k] = x;
    const key = JSON.stringify(Object.entries(labels).sort());
    let s = series.get(key);
    if (s === undefined) {
      s = { labels, values: [] };
      series.set(key, s);
    }
    s.values.push(v);
  }
  return series.values();
}

function histogramPoints(m: PromMetricJson, point: (labels: Labels) => object): unknown[] {
  const out: unknown[] = [];
  for (const s of bySeries(m, "le")) {
    const buckets: { le: number; cumulative: number }[] = [];
    let sum = 0;
    let count = 0;
    for (const v of s.values) {
      if (v.metricName?.endsWith("_sum")) sum = v.value;
      else if (v.metricName?.endsWith("_count")) count = v.value;
      else if (v.labels.le !== undefined) {
        const le = v.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(v.labels.le);
        buckets.push({ le, cumulative: v.value });
      }
    }
    buckets.sort((a, b) => a.le - b.le);
    const explicitBounds = buckets.filter((b) => Number.isFinite(b.le)).map((b) => b.le);
    const bucketCounts: string[] = [];
    let previous = 0;
    for (const b of buckets.filter((x) => Number.isFinite(x.le))) {
      bucketCounts.push(String(b.cumulative - previous));
      previous = b.cumulative;
    }
    bucketCounts.push(String(count - previous)); // the +Inf bucket
    out.push({ ...point(s.labels), count: String(count), sum, bucketCounts, explicitBounds });
  }
  return out;
}

function summaryPoints(m: PromMetricJson, point: (labels: Labels) => object): unknown[] {
  const out: unknown[] = [];
  for (const s of bySeries(m, "quantile")) {
    let sum = 0;
    let count = 0;
    const quantileValues: { quantile: number; value: number }[] = [];
    for (const v of s.values) {
      if (v.metricName?.endsWith("_sum")) sum = v.value;
      else if (v.metricName?.endsWith("_count")) count = v.value;
      else if (v.labels.quantile !== undefined)
        quantileValues.push({ quantile: Number(v.labels.quantile), value: v.value });
    }
    out.push({ ...point(s.labels), count: String(count), sum, quantileValues });
  }
  return out;
}
