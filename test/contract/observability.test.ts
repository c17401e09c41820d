// shared/contract/observability.toml, as its comments say: two origins (127.0.0.1:22001 and :22002)
// health-checked every second; the admin API on 127.0.0.1:9911 (/healthz, /readyz, /metrics, /logs,
// /status, /config and the dashboard at /); the process log as JSON lines at info on stderr; the access
// log as JSON lines in access.log beside the config with Authorization redacted; metrics every second and
// log lines pushed by OTLP/HTTP to 127.0.0.1:4318, log lines also to syslog (RFC 5424) over UDP to
// 127.0.0.1:5514; a collector that is down costs only a dropped-lines counter.
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT, startWeir, type WeirProcess } from "../lib/weir-process.ts";
import { type Origin, startOrigin } from "../observe/harness.ts";
import {
  eventually,
  http,
  type OtlpCollector,
  otlpCollector,
  parseRfc5424,
  type SyslogReceiver,
  scrape,
  syslogUdpReceiver,
  value,
} from "../observe/lib.ts";

const ADMIN = 9911;
const WEB = 22000;
const ACCESS_LOG = join(ROOT, "examples", "access.log");
const SECRET = "Bearer contract-secret-token";

describe("contract: observability.toml", { timeout: 90_000 }, () => {
  let weir: WeirProcess;
  let collector: OtlpCollector;
  let syslog: SyslogReceiver;
  const origins: Origin[] = [];
  let accessLogStart = 0;

  before(async () => {
    origins.push(await startOrigin(22001), await startOrigin(22002));
    collector = await otlpCollector(4318);
    syslog = await syslogUdpReceiver(5514);
    accessLogStart = existsSync(ACCESS_LOG) ? statSync(ACCESS_LOG).size : 0;
    weir = startWeir(["run", "--config", "examples/observability.toml", "--workers", "2"]);
    await weir.waitFor(/"weir started"/, 20_000);
  });

  after(async () => {
    assert.equal(await weir?.stop(), 0);
    for (const o of origins) await o.close().catch(() => {});
    await collector?.close().catch(() => {});
    syslog?.close();
  });

  test("the admin API answers on 127.0.0.1:9911, the dashboard at /", async () => {
    assert.equal((await http(ADMIN, "/healthz")).status, 200);
    await eventually(async () => (await http(ADMIN, "/readyz")).status === 200, "ready");
    await scrape(ADMIN);
    assert.equal((await http(ADMIN, "/logs?level=info&limit=5")).status, 200);
    const status = JSON.parse((await http(ADMIN, "/status")).body);
    assert.deepEqual(
      status.upstreams[0].endpoints.map((e: { address: string }) => e.address),
      ["127.0.0.1:22001", "127.0.0.1:22002"],
    );
    const config = JSON.parse((await http(ADMIN, "/config")).body);
    assert.equal(config.admin.listen, "127.0.0.1:9911");
    const page = await http(ADMIN, "/");
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>weir<\/title>/);
  });

  test("the process log is JSON lines at info on stderr", () => {
    const lines = weir
      .stderr()
      .split("\n")
      .filter((l) => l !== "");
    assert.ok(lines.length > 0);
    for (const l of lines) {
      const rec = JSON.parse(l);
      assert.ok(["info", "warn", "error"].includes(rec.level), l);
      assert.notEqual(rec.log, "access");
    }
    assert.ok(lines.some((l) => JSON.parse(l).msg === "weir started"));
  });

  test("the access log is JSON lines in access.log beside the config, Authorization redacted", async () => {
    for (let i = 0; i < 4; i++) {
      const r = await http(WEB, `/page/${i}`, { headers: { authorization: SECRET } });
      assert.equal(r.status, 200);
    }
    const lines = await eventually(() => {
      if (!existsSync(ACCESS_LOG)) return undefined;
      const text = readFileSync(ACCESS_LOG).subarray(accessLogStart).toString("utf8");
      const recs = text
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l));
      return recs.filter((r) => String(r.path).startsWith("/page/")).length >= 4 ? { text, recs } : undefined;
    }, "four access log lines");
    assert.ok(!lines.text.includes("contract-secret-token"));
    const rec = lines.recs.find((r) => r.path === "/page/0");
    assert.equal(rec.headers.authorization, "[redacted]");
    assert.equal(rec.status, 200);
    assert.equal(rec.listener, "web");
    assert.ok(["127.0.0.1:22001", "127.0.0.1:22002"].includes(rec.upstream));
    assert.equal(typeof rec.ms, "number");
    assert.equal(typeof rec.ttfb_ms, "number");
  });

  test("metrics every second and log lines go to the OTLP collector on 4318", async () => {
    const start = Date.now();
    const count = () => collector.received.filter((r) => r.path === "/v1/metrics").length;
    const before = count();
    await eventually(() => count() >= before + 2, "two metric pushes", 5_000);
    assert.ok(Date.now() - start < 4_000, "about one push per second");
    await eventually(
      () =>
        collector.received
          .filter((r) => r.path === "/v1/logs")
          .some((r) => JSON.stringify(r.body).includes("weir started")),
      "log lines by OTLP",
    );
  });

  test("log lines also go to syslog over UDP on 5514 as RFC 5424", async () => {
    const started = await eventually(
      () => syslog.messages.map(parseRfc5424).find((m) => JSON.parse(m.msg).msg === "weir started"),
      "the start line by syslog",
    );
    assert.equal(started.app, "weir");
  });

  test("an endpoint that stops is marked down within the health check's fall", async () => {
    await (origins[1] as Origin).close();
    await eventually(
      async () => {
        const s = JSON.parse((await http(ADMIN, "/status")).body);
        return (
          s.upstreams[0].endpoints.find((e: { address: string }) => e.address === "127.0.0.1:22002")
            ?.state === "down"
        );
      },
      "22002 down",
      6_000,
    );
    assert.equal((await http(WEB, "/still")).status, 200);
  });

  test("a collector that is down costs only a dropped-lines counter", async () => {
    await collector.close();
    // Log lines keep coming (a restarted origin comes back up and is logged).
    origins[1] = await startOrigin(22002);
    for (let i = 0; i < 5; i++) assert.equal((await http(WEB, `/after/${i}`)).status, 200);
    await eventually(async () => {
      const m = await scrape(ADMIN);
      return value(m, "weir_log_push_dropped_total", { target: "otlp" }) > 0;
    }, "dropped lines counted");
    await eventually(async () => (await http(ADMIN, "/readyz")).status === 200, "still ready");
    const m = await scrape(ADMIN);
    assert.ok(value(m, "weir_metrics_pushes_total", { result: "failed" }) > 0);
  });
});
