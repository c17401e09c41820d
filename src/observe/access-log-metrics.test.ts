// Cells must export exactly what prom-client's public labelled children export for the same inputs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Counter, Histogram, Registry } from "prom-client";
import { counterCell, histogramCell } from "./access-log-metrics.ts";

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Exact bounds, between bounds, below the first, above the last, zero and a negative value.
const SECONDS = [0.001, 0.0049, 0.005, 0.3, 10, 10.5, 1e6, 0, -1, 0.0001, 2.5, 0.07];

function pair() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    duration: new Histogram({
      name: "d_seconds",
      help: "d",
      labelNames: ["listener", "route"],
      buckets: BUCKETS,
      registers,
    }),
    requests: new Counter({
      name: "r_total",
      help: "r",
      labelNames: ["listener", "route", "status"],
      registers,
    }),
  };
}

test("histogram and counter cells export what the public labelled children export", async () => {
  const publicApi = pair();
  const cells = pair();
  const labels = [
    ["web", "all"],
    ["web", 'a "quoted" \\ route'],
    ["admin", ""],
  ];
  for (const [listener, route] of labels) {
    const histogram = histogramCell(cells.duration, [listener!, route!]);
    const counter = counterCell(cells.requests, [listener!, route!, "2xx"]);
    const child = publicApi.duration.labels(listener!, route!);
    const counterChild = publicApi.requests.labels(listener!, route!, "2xx");
    for (const s of SECONDS) {
      histogram.observe(s);
      counter.inc();
      child.observe(s);
      counterChild.inc();
    }
  }
  const expected = await publicApi.registry.metrics();
  assert.match(expected, /d_seconds_bucket\{le="0.005",listener="web",route="all"\} 6/);
  assert.match(expected, /r_total\{listener="admin",route="",status="2xx"\} 12/);
  assert.equal(await cells.registry.metrics(), expected);
});

test("a cell keeps counting after its metric is reset, as prom-client would", async () => {
  const publicApi = pair();
  const cells = pair();
  const histogram = histogramCell(cells.duration, ["web", "all"]);
  const counter = counterCell(cells.requests, ["web", "all", "5xx"]);
  const child = publicApi.duration.labels("web", "all");
  const counterChild = publicApi.requests.labels("web", "all", "5xx");
  for (let round = 0; round < 3; round++) {
    for (const s of SECONDS) {
      histogram.observe(s);
      counter.inc();
      child.observe(s);
      counterChild.inc();
    }
    const expected = await publicApi.registry.metrics();
    assert.match(expected, /r_total\{listener="web",route="all",status="5xx"\} 12/);
    assert.equal(await cells.registry.metrics(), expected);
    for (const p of [publicApi, cells]) p.registry.resetMetrics();
  }
});

test("a histogram cell refuses a value prom-client refuses", () => {
  const cells = pair();
  const histogram = histogramCell(cells.duration, ["web", "all"]);
  histogram.observe(0.2);
  assert.throws(() => histogram.observe(Number.NaN), TypeError);
  assert.throws(() => histogram.observe(Number.POSITIVE_INFINITY), TypeError);
});
