// Per-request metric series for the logging phase (src/http/access-log.ts), cheap to record.
//
// prom-client's labelled children re-validate and re-hash their label object, allocate a pair object
// and turn each bucket bound into a string key on every observation: about 300 ns each, four per
// request. A cell resolves its series once and afterwards bumps prom-client's own stored value for that
// series (the object `registry.metrics()` reads), so names, labels, buckets and exported values are
// exactly what the public API would have produced, in the same order of floating-point additions.
//
// This reads prom-client 15's internal layout (`hashMap` of `{ labels, value }` for counters,
// `{ labels, bucketValues, sum, count }` for histograms). When that layout is not there (another
// version, exemplars on) a cell is the public labelled child itself, slower and still correct. A
// series that is missing from `hashMap` (never observed yet, or cleared by `reset()`/`remove()`) goes
// through the public child, which creates it again under the same key.
import type { Counter, Histogram } from "prom-client";

/** One labelled series of a histogram. `seconds` must be finite, as prom-client requires. */
export interface HistogramCell {
  observe(seconds: number): void;
}

/** One labelled series of a counter, incremented by one. */
export interface CounterCell {
  inc(): void;
}

interface StoredSeries {
  labels: Record<string, unknown>;
}
interface StoredHistogramSeries extends StoredSeries {
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}
interface StoredCounterSeries extends StoredSeries {
  value: number;
}
/** The prom-client 15 fields a cell relies on; checked at run time before use. */
interface Internals<S> {
  hashMap?: Record<string, S | undefined>;
  labelNames?: readonly string[];
  upperBounds?: readonly number[];
  enableExemplars?: boolean;
}

/**
 * The key under which `metric` stores the series with these label values, or undefined when the series
 * does not exist (yet). Found by comparing label objects, so prom-client's key format is not copied.
 */
function findKey<S extends StoredSeries>(
  internals: Internals<S>,
  labelNames: readonly string[],
  values: readonly string[],
): string | undefined {
  const map = internals.hashMap;
  if (map === undefined) return undefined;
  for (const key in map) {
    const labels = map[key]?.labels;
    if (labels === undefined || Object.keys(labels).length !== labelNames.length) continue;
    let same = true;
    for (let i = 0; i < labelNames.length; i++) {
      if (labels[labelNames[i]!] !== values[i]) {
        same = false;
        break;
      }
    }
    if (same) return key;
  }
  return undefined;
}

function hasLayout(internals: Internals<unknown>, labelCount: number): boolean {
  return (
    typeof internals.hashMap === "object" &&
    internals.hashMap !== null &&
    Array.isArray(internals.labelNames) &&
    internals.labelNames.length === labelCount &&
    internals.enableExemplars !== true
  );
}

export function histogramCell<T extends string>(
  histogram: Histogram<T>,
  values: readonly string[],
): HistogramCell {
  const child = histogram.labels(...(values as string[]));
  const internals = histogram as unknown as Internals<StoredHistogramSeries>;
  const bounds = internals.upperBounds;
  if (!hasLayout(internals, values.length) || !Array.isArray(bounds)) return child;
  const labelNames = internals.labelNames!;
  // prom-client indexes bucketValues by the bound as a property key, i.e. String(bound).
  const upper = Float64Array.from(bounds);
  const bucketKeys = bounds.map(String);
  let key: string | undefined;
  return {
    observe(seconds: number): void {
      const series = key === undefined ? undefined : internals.hashMap![key];
      if (series === undefined || !Number.isFinite(seconds)) {
        child.observe(seconds);
        key ??= findKey(internals, labelNames, values);
        return;
      }
      // As prom-client: the first bound >= the value gets the count; above the last, only sum and count.
      let i = 0;
      while (i < upper.length && seconds > upper[i]!) i++;
      series.sum += seconds;
      series.count += 1;
      if (i < upper.length) {
        const bucket = bucketKeys[i]!;
        series.bucketValues[bucket] = series.bucketValues[bucket]! + 1;
      }
    },
  };
}

export function counterCell<T extends string>(counter: Counter<T>, values: readonly string[]): CounterCell {
  const child = counter.labels(...(values as string[]));
  const internals = counter as unknown as Internals<StoredCounterSeries>;
  if (!hasLayout(internals, values.length)) return { inc: () => child.inc() };
  const labelNames = internals.labelNames!;
  let key: string | undefined;
  return {
    inc(): void {
      const series = key === undefined ? undefined : internals.hashMap![key];
      if (series === undefined) {
        child.inc();
        key ??= findKey(internals, labelNames, values);
        return;
      }
      series.value += 1;
    },
  };
}
