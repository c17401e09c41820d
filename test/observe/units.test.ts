// The pieces of the observability layer on their own: the log ring, the bounded batch queue, access log
// redaction and sampling, config redaction, RFC 5424 formatting, the OTLP encodings, /logs queries.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileAccessLogPolicy, REDACTED } from "../../src/observe/access-redact.ts";
import { parseLogQuery } from "../../src/observe/admin-logs.ts";
import { redactConfig } from "../../src/observe/config-redact.ts";
import { parseLogLine } from "../../src/observe/log-entry.ts";
import { LogRing } from "../../src/observe/log-ring.ts";
import { BatchQueue } from "../../src/observe/push/batch-queue.ts";
import { encodeLogs } from "../../src/observe/push/otlp-logs.ts";
import { encodeMetrics } from "../../src/observe/push/otlp-metrics.ts";
import { formatSyslog } from "../../src/observe/push/syslog.ts";
import { attrs, parseRfc5424 } from "./lib.ts";

const line = (level: string, msg: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ level, time: "2026-01-02T03:04:05.678Z", pid: 42, ...extra, msg });

describe("log ring", () => {
  test("keeps the newest lines up to its capacity and filters by level", () => {
    const ring = new LogRing(3);
    for (const [lvl, msg] of [
      ["info", "a"],
      ["warn", "b"],
      ["error", "c"],
      ["info", "d"],
      ["warn", "e"],
    ])
      ring.push(parseLogLine(line(lvl as string, msg as string)) as never);
    assert.equal(ring.size, 3);
    assert.deepEqual(
      ring.recent(0, 10).map((e) => e.msg),
      ["c", "d", "e"],
    );
    assert.deepEqual(
      ring.recent(40, 10).map((e) => e.msg),
      ["c", "e"],
    );
    assert.deepEqual(
      ring.recent(40, 1).map((e) => e.msg),
      ["e"],
    );
  });

  test("subscribers see new lines; a throwing one does not stop the others", () => {
    const ring = new LogRing(2);
    const seen: string[] = [];
    ring.subscribe(() => {
      throw new Error("broken client");
    });
    const off = ring.subscribe((e) => seen.push(e.msg));
    ring.push(parseLogLine(line("info", "x")) as never);
    off();
    ring.push(parseLogLine(line("info", "y")) as never);
    assert.deepEqual(seen, ["x"]);
  });

  test("a line that is not a JSON object is not an entry", () => {
    assert.equal(parseLogLine("not json"), undefined);
    assert.equal(parseLogLine("[1,2]"), undefined);
    const e = parseLogLine(`${line("warn", "w")}\n`);
    assert.equal(e?.level, 40);
    assert.equal(e?.time, Date.parse("2026-01-02T03:04:05.678Z"));
  });

  test("/logs query: level names, limits, errors", () => {
    assert.deepEqual(parseLogQuery(new URLSearchParams("level=warn&limit=200"), 1000), {
      minLevel: 40,
      limit: 200,
    });
    assert.deepEqual(parseLogQuery(new URLSearchParams(""), 50), { minLevel: 10, limit: 50 });
    assert.match(parseLogQuery(new URLSearchParams("level=loud"), 10) as string, /unknown level/);
    assert.match(parseLogQuery(new URLSearchParams("limit=-3"), 10) as string, /positive integer/);
  });
});

describe("batch queue", () => {
  test("a dead collector costs dropped items, never more than `max` waiting", async () => {
    const drops: Record<string, number> = {};
    let sends = 0;
    const q = new BatchQueue<number>({
      max: 5,
      batch: 2,
      intervalMs: 10,
      send: async () => {
        sends++;
        throw new Error("connection refused");
      },
      onDrop: (n, reason) => {
        drops[reason] = (drops[reason] ?? 0) + n;
      },
    });
    for (let i = 0; i < 20; i++) q.push(i);
    assert.ok(q.length <= 5);
    await new Promise((r) => setTimeout(r, 100));
    await q.close(100);
    assert.ok(sends >= 1);
    assert.equal((drops.queue_full ?? 0) + (drops.send_failed ?? 0), 20, JSON.stringify(drops));
    assert.ok((drops.queue_full ?? 0) > 0);
  });

  test("sends batches of at most `batch`, one at a time, and reports what was sent", async () => {
    const batches: number[][] = [];
    let inFlight = 0;
    let sent = 0;
    const q = new BatchQueue<number>({
      max: 100,
      batch: 3,
      intervalMs: 5,
      send: async (items) => {
        inFlight++;
        assert.equal(inFlight, 1);
        batches.push(items);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
      },
      onDrop: () => assert.fail("nothing is dropped"),
      onSent: (n) => {
        sent += n;
      },
    });
    for (let i = 0; i < 10; i++) q.push(i);
    await q.close(1000);
    assert.deepEqual(batches.flat(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(batches.every((b) => b.length <= 3));
    assert.equal(sent, 10);
  });
});

describe("access log policy", () => {
  const policy = compileAccessLogPolicy({
    headers: ["user-agent"],
    redact_headers: ["Authorization", "cookie"],
    redact_query: ["token", "api key"],
    sample: 1,
  });

  test("named headers are written; redacted ones show only that they were sent", () => {
    const h = policy.headers(["User-Agent", "curl", "Authorization", "Bearer s3cret", "Accept", "*/*"]);
    assert.deepEqual(h, { "user-agent": "curl", authorization: REDACTED });
    assert.equal(policy.headers(["Accept", "*/*"]), undefined);
    assert.ok(!JSON.stringify(policy.headers(["cookie", "a=1", "Cookie", "b=2"])).includes("a=1"));
  });

  test("query parameter values are redacted, encoded names too; the rest is unchanged", () => {
    assert.equal(policy.path("/a?token=abc&x=1"), `/a?token=${REDACTED}&x=1`);
    assert.equal(policy.path("/a?x=1&api+key=k#frag"), `/a?x=1&api+key=${REDACTED}#frag`);
    assert.equal(policy.path("/a?tokens=1"), "/a?tokens=1");
    assert.equal(policy.path("/plain"), "/plain");
    assert.equal(policy.path("/a?%zz=1"), "/a?%zz=1");
  });

  test("sampling drops only successes; errors are always kept", () => {
    let r = 0.9;
    const sampled = compileAccessLogPolicy(
      { headers: [], redact_headers: [], redact_query: [], sample: 0.5 },
      () => r,
    );
    assert.equal(sampled.keep(200, false), false);
    assert.equal(sampled.keep(503, false), true);
    assert.equal(sampled.keep(200, true), true);
    assert.equal(sampled.keepSession(false), false);
    assert.equal(sampled.keepSession(true), true);
    r = 0.1;
    assert.equal(sampled.keep(200, false), true);
  });
});

test("config redaction hides the token, OTLP header values and URL passwords, not key paths", () => {
  const out = redactConfig({
    admin: { listen: "127.0.0.1:1", token: "0123456789abcdef0123" },
    log: { push: { otlp: "https://u:pw@collector:4318", otlp_headers: { "api-key": "k1" } } },
    listeners: { web: { tls: { certificates: [{ cert: "/c.pem", key: "/k.pem" }] } } },
  }) as Record<string, Record<string, unknown>>;
  const text = JSON.stringify(out);
  for (const secret of ["0123456789abcdef0123", "pw@", "k1"]) assert.ok(!text.includes(secret), secret);
  assert.ok(text.includes("/k.pem"));
  assert.ok(text.includes("https://u:[redacted]@collector:4318"));
});

test("syslog lines follow RFC 5424 with the JSON line as the message", () => {
  const entry = parseLogLine(line("warn", "careful", { role: "supervisor" })) as never;
  const text = formatSyslog(entry, { facility: 16, hostname: "host one", appName: "weir" });
  const m = parseRfc5424(text);
  assert.equal(m.pri, 16 * 8 + 4);
  assert.equal(m.hostname, "hostone");
  assert.equal(m.app, "weir");
  assert.equal(m.procid, "42");
  assert.equal(m.msgid, "supervisor");
  assert.equal(JSON.parse(m.msg).msg, "careful");
});

test("OTLP logs: severity, body, time and attributes", () => {
  const body = encodeLogs([parseLogLine(line("error", "boom", { upstream: "a", n: 3 })) as never]) as {
    resourceLogs: {
      resource: { attributes: never };
      scopeLogs: { logRecords: Record<string, unknown>[] }[];
    }[];
  };
  const rec = body.resourceLogs[0]?.scopeLogs[0]?.logRecords[0] as Record<string, unknown>;
  assert.equal(rec.severityNumber, 17);
  assert.equal(rec.severityText, "ERROR");
  assert.deepEqual(rec.body, { stringValue: "boom" });
  assert.equal(rec.timeUnixNano, `${Date.parse("2026-01-02T03:04:05.678Z")}000000`);
  assert.deepEqual(attrs(rec.attributes as never), { pid: 42, upstream: "a", n: 3 });
  assert.equal(attrs(body.resourceLogs[0]?.resource.attributes)["service.name"], "weir");
});

test("OTLP metrics: cumulative buckets become per-bucket counts with +Inf last", () => {
  const body = encodeMetrics(
    [
      {
        name: "h_seconds",
        help: "h",
        type: "histogram",
        values: [
          { metricName: "h_seconds_bucket", labels: { le: 0.1, r: "a" }, value: 2 },
          { metricName: "h_seconds_bucket", labels: { le: 1, r: "a" }, value: 5 },
          { metricName: "h_seconds_bucket", labels: { le: "+Inf", r: "a" }, value: 6 },
          { metricName: "h_seconds_sum", labels: { r: "a" }, value: 3.5 },
          { metricName: "h_seconds_count", labels: { r: "a" }, value: 6 },
        ],
      },
      { name: "c_total", help: "c", type: "counter", values: [{ labels: { x: "1" }, value: 7 }] },
      { name: "g", help: "g", type: "gauge", values: [{ labels: {}, value: 0.5 }] },
    ],
    1000,
    2000,
  ) as { resourceMetrics: { scopeMetrics: { metrics: Record<string, never>[] }[] }[] };
  // biome-ignore lint/suspicious/noExplicitAny: walking the decoded JSON of the test's own encoding
  const [h, c, g] = (body.resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? []) as Record<string, any>[];
  const point = h?.histogram.dataPoints[0];
  assert.deepEqual(point.explicitBounds, [0.1, 1]);
  assert.deepEqual(point.bucketCounts, ["2", "3", "1"]);
  assert.equal(point.count, "6");
  assert.equal(point.sum, 3.5);
  assert.deepEqual(attrs(point.attributes), { r: "a" });
  assert.equal(h?.histogram.aggregationTemporality, 2);
  assert.equal(h?.unit, "s");
  assert.equal(c?.sum.isMonotonic, true);
  assert.equal(c?.sum.dataPoints[0].asDouble, 7);
  assert.equal(c?.sum.dataPoints[0].startTimeUnixNano, "1000000000");
  assert.equal(g?.gauge.dataPoints[0].asDouble, 0.5);
});
