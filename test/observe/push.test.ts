// Push: a real weir sends its process log lines to an OTLP/HTTP collector and a syslog receiver (both in
// this test), and its combined metrics to the collector on an interval; the test decodes what arrives.
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { parseLogLine } from "../../src/observe/log-entry.ts";
import { formatSyslog, syslogTransport } from "../../src/observe/push/syslog.ts";
import { freePort, type Origin, type RunningWeir, runWeir, startOrigin } from "./harness.ts";
import {
  attrs,
  eventually,
  http,
  type OtlpCollector,
  otlpCollector,
  parseRfc5424,
  type SyslogReceiver,
  scrape,
  syslogUdpReceiver,
  value,
} from "./lib.ts";

// biome-ignore lint/suspicious/noExplicitAny: walking decoded OTLP JSON
type Rec = Record<string, any>;

describe("push to collectors", { timeout: 60_000 }, () => {
  let weir: RunningWeir;
  let origin: Origin;
  let collector: OtlpCollector;
  let syslog: SyslogReceiver;
  let webPort: number;

  before(async () => {
    origin = await startOrigin();
    collector = await otlpCollector();
    syslog = await syslogUdpReceiver();
    webPort = await freePort();
    const dead = await freePort();
    weir = await runWeir(
      `
[log]
push = { otlp = "http://127.0.0.1:${collector.port}", syslog = "udp://127.0.0.1:${syslog.port}", interval = "100ms" }

[metrics]
push = { otlp = "http://127.0.0.1:${collector.port}/", interval = "300ms" }

[admin]
listen = "127.0.0.1:0"

[access_log]
output = "{{dir}}/access.log"

[listeners.web]
address = "127.0.0.1:${webPort}"

[[routes]]
path_prefix = "/down"
upstream = "nowhere"

[[routes]]
name = "main"
upstream = "origin"

[upstreams.origin]
endpoints = ["127.0.0.1:${origin.port}"]

[upstreams.nowhere]
endpoints = ["127.0.0.1:${dead}"]
`,
      2,
    );
    for (let i = 0; i < 3; i++) assert.equal((await http(webPort, "/x")).status, 200);
    assert.equal((await http(webPort, "/down")).status, 502);
  });

  after(async () => {
    assert.equal(await weir?.weir.stop(), 0);
    await origin?.close();
    await collector?.close();
    syslog?.close();
  });

  test("OTLP/HTTP logs: JSON on /v1/logs with severity, body, attributes and the resource", async () => {
    const records = await eventually(() => {
      const all: Rec[] = collector.received
        .filter((r) => r.path === "/v1/logs")
        .flatMap((r) =>
          (r.body as Rec).resourceLogs.flatMap((rl: Rec) => rl.scopeLogs.flatMap((s: Rec) => s.logRecords)),
        );
      const started = all.some((r) => r.body.stringValue === "weir started");
      const warned = all.some((r) => r.body.stringValue === "upstream request failed");
      return started && warned ? all : undefined;
    }, "log records of the supervisor and a worker");
    const logs = collector.received.find((r) => r.path === "/v1/logs");
    assert.ok(logs !== undefined);
    assert.equal(logs.contentType, "application/json");
    const resource = attrs((logs.body as Rec).resourceLogs[0].resource.attributes);
    assert.equal(resource["service.name"], "weir");
    const warn = records.find((r) => r.body.stringValue === "upstream request failed") as Rec;
    assert.equal(warn.severityNumber, 13);
    assert.equal(warn.severityText, "WARN");
    assert.match(warn.timeUnixNano, /^\d{19}$/);
    const a = attrs(warn.attributes);
    assert.equal(a.upstream, "nowhere");
    assert.ok(a.worker === 1 || a.worker === 2);
    const started = records.find((r) => r.body.stringValue === "weir started") as Rec;
    assert.equal(started.severityNumber, 9);
    assert.equal(attrs(started.attributes).role, "supervisor");
  });

  test("OTLP/HTTP metrics: the combined registry on /v1/metrics, decoded", async () => {
    const metrics = await eventually(() => {
      for (const r of collector.received.filter((x) => x.path === "/v1/metrics").reverse()) {
        const list: Rec[] = (r.body as Rec).resourceMetrics[0].scopeMetrics[0].metrics;
        const requests = list.find((m) => m.name === "weir_http_requests_total");
        const ok = requests?.sum.dataPoints.find((p: Rec) => attrs(p.attributes).status === "2xx");
        if (ok?.asDouble === 3) return list;
      }
      return undefined;
    }, "pushed request counters");
    const requests = metrics.find((m) => m.name === "weir_http_requests_total") as Rec;
    assert.equal(requests.sum.isMonotonic, true);
    assert.equal(requests.sum.aggregationTemporality, 2);
    const point = requests.sum.dataPoints.find((p: Rec) => attrs(p.attributes).status === "2xx");
    assert.deepEqual(attrs(point.attributes), {
      listener: "web",
      route: "main",
      upstream: "origin",
      status: "2xx",
    });
    const duration = metrics.find((m) => m.name === "weir_http_request_duration_seconds") as Rec;
    const dp = duration.histogram.dataPoints.find((p: Rec) => attrs(p.attributes).route === "main");
    assert.equal(dp.count, "3");
    assert.equal(dp.bucketCounts.length, dp.explicitBounds.length + 1);
    assert.equal(
      dp.bucketCounts.reduce((a: number, b: string) => a + Number(b), 0),
      3,
    );
    assert.equal(duration.unit, "s");
    const memory = metrics.find((m) => m.name === "weir_memory_bytes") as Rec;
    const workers = new Set(memory.gauge.dataPoints.map((p: Rec) => attrs(p.attributes).worker));
    assert.deepEqual([...workers].sort(), ["1", "2", "supervisor"]);
    const m = await scrape(weir.adminPort);
    assert.ok(value(m, "weir_metrics_pushes_total", { result: "ok" }) >= 1);
  });

  test("syslog over UDP: RFC 5424 messages carrying the JSON lines", async () => {
    const parsed = await eventually(() => {
      const all = syslog.messages.map(parseRfc5424);
      return all.some((m) => JSON.parse(m.msg).msg === "upstream request failed") ? all : undefined;
    }, "syslog messages");
    const started = parsed.find((m) => JSON.parse(m.msg).msg === "weir started");
    assert.ok(started);
    assert.equal(started.pri, 16 * 8 + 6); // local0.info
    assert.equal(started.app, "weir");
    assert.equal(started.msgid, "supervisor");
    const warn = parsed.find((m) => JSON.parse(m.msg).msg === "upstream request failed");
    assert.equal(warn?.pri, 16 * 8 + 4); // local0.warning
    assert.equal(warn?.procid, String(JSON.parse(warn?.msg as string).pid));
    const m = await scrape(weir.adminPort);
    assert.ok(value(m, "weir_log_push_sent_total", { target: "syslog" }) >= parsed.length);
    assert.equal(value(m, "weir_log_push_dropped_total"), 0);
  });
});

test("syslog over TCP frames each message by octet counting (RFC 6587 §3.4.1)", async (t) => {
  const received: Buffer[] = [];
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on("data", (d: Buffer) => received.push(d));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const transport = syslogTransport(`tcp://127.0.0.1:${port}`, 1000);
  t.after(() => transport.close());
  const entries = ["first", "second ünïcode"].map(
    (msg) => parseLogLine(JSON.stringify({ level: "info", time: Date.now(), pid: 7, msg })) as never,
  );
  const messages = entries.map((e) => formatSyslog(e, { facility: 3 }));
  await transport.send(messages);
  await eventually(
    () => Buffer.concat(received).length >= messages.reduce((n, m) => n + Buffer.byteLength(m) + 4, 0),
    "bytes",
  );
  let rest = Buffer.concat(received);
  const frames: string[] = [];
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    const length = Number(rest.subarray(0, space).toString());
    frames.push(rest.subarray(space + 1, space + 1 + length).toString("utf8"));
    rest = rest.subarray(space + 1 + length);
  }
  assert.deepEqual(frames, messages);
  assert.equal(parseRfc5424(frames[1] as string).pri, 3 * 8 + 6);
  // A collector that is gone makes the send fail (the caller drops and counts), never hang.
  for (const s of sockets) s.destroy();
  server.close();
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(
    (async () => {
      await transport.send(messages);
      await transport.send(messages);
    })(),
  );
});
