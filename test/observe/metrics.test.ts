// Every metric the issue names moves when its event happens, in a real `weir run --workers 2` whose
// /metrics combines both workers and the supervisor, and /metrics parses as Prometheus text.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { echoServer, listen, portOf } from "../lib/net.ts";
import { requirePrograms } from "../lib/peers.ts";
import { freePort, type Origin, type RunningWeir, runWeir, selfSigned, startOrigin } from "./harness.ts";
import { eventually, type Family, has, http, scrape, value } from "./lib.ts";

const ports: Record<string, number> = {};
let weir: RunningWeir;
let origin: Origin;
let watched: Origin;
let echo: import("node:net").Server;
let dead: number;
let toml: string;

async function metrics(): Promise<Map<string, Family>> {
  return scrape(weir.adminPort);
}

/** Writes `bytes`, reads `expect` bytes back (an echo), then closes: no half-close before detection. */
function exchange(port: number, bytes: string | Buffer, expect: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: "127.0.0.1", port }, () => s.write(bytes));
    const chunks: Buffer[] = [];
    let got = 0;
    s.on("data", (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= expect) {
        s.end();
        resolve(Buffer.concat(chunks));
      }
    });
    s.on("error", reject);
    s.on("close", () => resolve(Buffer.concat(chunks)));
  });
}

describe("metrics move when their events happen", { timeout: 120_000 }, () => {
  before(async () => {
    origin = await startOrigin();
    watched = await startOrigin();
    echo = await listen(echoServer());
    dead = await freePort();
    for (const name of ["web", "raw", "auto", "proxied", "secure"]) ports[name] = await freePort();
    const cert = selfSigned("secure.test");
    toml = `
[system]
grace_period = "500ms"
shutdown_timeout = "3s"

[log]
level = "info"
push = { otlp = "http://127.0.0.1:${dead}", interval = "100ms", timeout = "300ms", queue = 20 }

[access_log]
output = "{{dir}}/access.log"

[admin]
listen = "127.0.0.1:0"

[listeners.web]
address = "127.0.0.1:${ports.web}"
protocol = "http"

[listeners.raw]
address = "127.0.0.1:${ports.raw}"
protocol = "tcp"
upstream = "echo"

[listeners.auto]
address = "127.0.0.1:${ports.auto}"
protocol = "auto"
upstream = "echo"
detect_timeout = "300ms"

[listeners.proxied]
address = "127.0.0.1:${ports.proxied}"
protocol = "http"
proxy_protocol = "v1"

[listeners.secure]
address = "127.0.0.1:${ports.secure}"
protocol = "http"
[listeners.secure.tls]
certificates = [{ cert = "${cert.cert}", key = "${cert.key}" }]
min_version = "1.2"

[[routes]]
name = "limited"
path_prefix = "/limited"
upstream = "origin"
[[routes.filters]]
kind = "rate_limit"
key = "client_addr"
rate = 1
burst = 1

[[routes]]
name = "retry"
path_prefix = "/retry"
upstream = "flaky"

[[routes]]
name = "broken"
path_prefix = "/broken"
upstream = "nowhere"

[[routes]]
name = "watched"
path_prefix = "/watched"
upstream = "watched"

[[routes]]
name = "api"
path_prefix = "/"
upstream = "origin"

[upstreams.origin]
endpoints = ["127.0.0.1:${origin.port}"]

[upstreams.flaky]
endpoints = ["127.0.0.1:${dead}", "127.0.0.1:${origin.port}"]
health = { passive_failures = 0 }

[upstreams.nowhere]
endpoints = ["127.0.0.1:${dead}"]
health = { passive_failures = 0 }

[upstreams.watched]
endpoints = ["127.0.0.1:${watched.port}"]
health = { http_path = "/healthz", interval = "200ms", timeout = "150ms", rise = 1, fall = 1 }

[upstreams.echo]
endpoints = ["127.0.0.1:${portOf(echo)}"]
`;
    weir = await runWeir(toml, 2);
  });

  after(async () => {
    assert.equal(await weir?.weir.stop(), 0);
    await origin?.close();
    await watched?.close().catch(() => {});
    echo?.close();
  });

  test("/metrics parses as Prometheus text and combines both workers and the supervisor", async () => {
    const m = await metrics();
    for (const w of ["1", "2", "supervisor"])
      assert.ok(has(m, "weir_memory_bytes", { worker: w, kind: "rss" }), `memory of ${w}`);
    assert.ok(value(m, "weir_memory_bytes", { worker: "1", kind: "rss" }) > 10_000_000);
    for (const w of ["1", "2"]) {
      assert.ok(
        has(m, "weir_event_loop_delay_seconds", { worker: w, generation: "1", stat: "p99" }),
        `delay ${w}`,
      );
    }
    assert.equal(value(m, "weir_config_generation"), 1);
    // Every family has HELP and TYPE.
    for (const f of m.values()) {
      assert.ok(f.help.length > 0, `${f.name} has help`);
      assert.notEqual(f.type, "untyped", `${f.name} has a type`);
    }
  });

  test("HTTP requests by listener, route, upstream and status class; durations; upstream timings", async () => {
    const before = await metrics();
    for (let i = 0; i < 5; i++) assert.equal((await http(ports.web as number, "/hello")).status, 200);
    assert.equal((await http(ports.web as number, "/status/404")).status, 404);
    assert.equal((await http(ports.web as number, "/broken")).status, 502);
    const m = await eventually(async () => {
      const now = await metrics();
      const d = (match: Record<string, string>) =>
        value(now, "weir_http_requests_total", match) - value(before, "weir_http_requests_total", match);
      return d({ listener: "web", route: "api", upstream: "origin", status: "2xx" }) === 5 &&
        d({ route: "api", status: "4xx" }) === 1 &&
        d({ route: "broken", upstream: "nowhere", status: "5xx" }) === 1
        ? now
        : undefined;
    }, "request counters");
    const delta = (name: string, match: Record<string, string>) =>
      value(m, name, match) - value(before, name, match);
    assert.equal(delta("weir_http_request_duration_seconds_count", { listener: "web", route: "api" }), 6);
    assert.ok(delta("weir_upstream_connect_duration_seconds_count", { upstream: "origin" }) >= 6);
    assert.ok(delta("weir_upstream_response_duration_seconds_count", { upstream: "origin" }) >= 6);
    assert.ok(delta("weir_upstream_connect_failures_total", { upstream: "nowhere" }) >= 1);
    assert.ok(delta("weir_http_errors_total", { listener: "web" }) >= 1);
  });

  test("connections active and total per listener, bytes in and out", async () => {
    const before = await metrics();
    const socket = netConnect({ host: "127.0.0.1", port: ports.web as number });
    await new Promise((r) => socket.once("connect", r));
    socket.write("GET /held HTTP/1.1\r\nhost: x\r\n\r\n");
    await new Promise((r) => socket.once("data", r));
    const during = await eventually(async () => {
      const m = await metrics();
      return value(m, "weir_connections_active", { listener: "web" }) >= 1 ? m : undefined;
    }, "an active connection");
    assert.ok(
      value(during, "weir_connections_total", { listener: "web" }) >
        value(before, "weir_connections_total", { listener: "web" }),
    );
    socket.end();
    await new Promise((r) => socket.once("close", r));
    const m = await eventually(async () => {
      const now = await metrics();
      return value(now, "weir_connections_active", { listener: "web" }) === 0 ? now : undefined;
    }, "the connection closed");
    for (const direction of ["in", "out"])
      assert.ok(
        value(m, "weir_bytes_total", { listener: "web", direction }) -
          value(before, "weir_bytes_total", { listener: "web", direction }) >=
          30,
        `bytes ${direction}`,
      );
  });

  test("raw TCP: tunnel bytes, closes and the connect histogram", async () => {
    const before = await metrics();
    const payload = Buffer.alloc(5000, 7);
    assert.equal((await exchange(ports.raw as number, payload, 5000)).length, 5000);
    const m = await eventually(async () => {
      const now = await metrics();
      return value(now, "weir_tunnel_bytes_total", { listener: "raw", direction: "in" }) -
        value(before, "weir_tunnel_bytes_total", { listener: "raw", direction: "in" }) ===
        5000
        ? now
        : undefined;
    }, "tunnel bytes");
    assert.equal(
      value(m, "weir_tunnel_bytes_total", { listener: "raw", direction: "out" }) -
        value(before, "weir_tunnel_bytes_total", { listener: "raw", direction: "out" }),
      5000,
    );
    assert.ok(
      value(m, "weir_tunnels_closed_total", { listener: "raw" }) >
        value(before, "weir_tunnels_closed_total", { listener: "raw" }),
    );
    assert.ok(
      value(m, "weir_upstream_connect_duration_seconds_count", { upstream: "echo" }) >
        value(before, "weir_upstream_connect_duration_seconds_count", { upstream: "echo" }),
    );
  });

  test("detection outcomes on an auto listener", async () => {
    await http(ports.auto as number, "/detect-me");
    assert.equal(
      (await exchange(ports.auto as number, "hello, not http\n", 16)).toString(),
      "hello, not http\n",
    );
    const m = await eventually(async () => {
      const now = await metrics();
      return value(now, "weir_detections_total", { listener: "auto", result: "http1" }) >= 1 &&
        value(now, "weir_detections_total", { listener: "auto", result: "other" }) >= 1
        ? now
        : undefined;
    }, "detections");
    assert.ok(m);
  });

  test("TLS handshakes and failures by reason", async (t) => {
    if (!requirePrograms(t, "openssl")) return;
    const ok = tlsConnect({
      host: "127.0.0.1",
      port: ports.secure as number,
      servername: "secure.test",
      rejectUnauthorized: false,
    });
    await new Promise<void>((resolve, reject) => {
      ok.once("secureConnect", () => resolve());
      ok.once("error", reject);
    });
    ok.end();
    // TLS 1.1 at most, while the listener asks for 1.2 at least.
    const old = tlsConnect({
      host: "127.0.0.1",
      port: ports.secure as number,
      servername: "secure.test",
      rejectUnauthorized: false,
      minVersion: "TLSv1",
      maxVersion: "TLSv1.1",
      ciphers: "DEFAULT@SECLEVEL=0",
    });
    await new Promise<void>((resolve) => {
      old.once("error", () => resolve());
      old.once("secureConnect", () => resolve());
    });
    old.destroy();
    const m = await eventually(async () => {
      const now = await metrics();
      return value(now, "weir_tls_handshakes_total", { listener: "secure" }) >= 1 &&
        value(now, "weir_tls_failures_total", { listener: "secure" }) >= 1
        ? now
        : undefined;
    }, "TLS counters");
    const reasons = [...(m.get("weir_tls_failures_total")?.samples ?? [])].map((s) => s.labels.reason);
    assert.ok(
      reasons.every((r) => /^[a-z0-9_]+$/.test(r ?? "")),
      `bounded reasons: ${reasons}`,
    );
  });

  test("PROXY header failures", async () => {
    await exchange(ports.proxied as number, "PROXY NONSENSE\r\n\r\n", 1).catch(() => Buffer.alloc(0));
    await eventually(async () => {
      const m = await metrics();
      return value(m, "weir_proxy_header_failures_total", { listener: "proxied" }) >= 1;
    }, "a PROXY header failure");
  });

  test("retries, pool connections in use and idle", async () => {
    const before = await metrics();
    for (let i = 0; i < 4; i++) assert.equal((await http(ports.web as number, "/retry")).status, 200);
    const slow = http(ports.web as number, "/slow");
    const during = await eventually(async () => {
      const m = await metrics();
      return value(m, "weir_upstream_pool_connections", { upstream: "origin", state: "in_use" }) >= 1
        ? m
        : undefined;
    }, "a pooled connection in use");
    assert.equal((await slow).status, 200);
    const m = await eventually(async () => {
      const now = await metrics();
      return value(now, "weir_upstream_pool_connections", { upstream: "origin", state: "idle" }) >= 1
        ? now
        : undefined;
    }, "an idle pooled connection");
    assert.ok(
      value(m, "weir_upstream_retries_total", { upstream: "flaky" }) -
        value(before, "weir_upstream_retries_total", { upstream: "flaky" }) >=
        1,
    );
    assert.ok(has(during, "weir_upstream_pool_connections", { endpoint: `127.0.0.1:${origin.port}` }));
  });

  test("rate-limit and filter rejections by filter", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await http(ports.web as number, "/limited")).status);
    assert.ok(statuses.includes(429), `statuses ${statuses}`);
    const rejected = statuses.filter((s) => s === 429).length;
    await eventually(async () => {
      const m = await metrics();
      return (
        value(m, "weir_filter_rejections_total", { listener: "web", filter: "rate_limit", status: "429" }) ===
        rejected
      );
    }, "filter rejections");
  });

  test("upstream endpoint health goes down when its endpoint does", async () => {
    const key = `127.0.0.1:${watched.port}`;
    await eventually(async () => {
      const m = await metrics();
      return value(m, "weir_upstream_endpoint_healthy", { upstream: "watched", endpoint: key }) === 1;
    }, "the endpoint healthy");
    await watched.close();
    await eventually(async () => {
      const m = await metrics();
      return (
        has(m, "weir_upstream_endpoint_healthy", { upstream: "watched", endpoint: key }) &&
        value(m, "weir_upstream_endpoint_healthy", { upstream: "watched", endpoint: key }) === 0
      );
    }, "the endpoint down");
  });

  test("a dead log collector costs a dropped-lines counter, nothing else", async () => {
    const m = await eventually(async () => {
      const now = await metrics();
      return value(now, "weir_log_push_dropped_total", { target: "otlp" }) > 0 ? now : undefined;
    }, "dropped lines");
    assert.equal(value(m, "weir_log_push_sent_total", { target: "otlp" }), 0);
    assert.equal((await http(ports.web as number, "/still-serving")).status, 200);
  });

  test("worker restarts", async () => {
    const status = JSON.parse((await http(weir.adminPort, "/status")).body);
    const pid = status.workers[0].pid as number;
    process.kill(pid, "SIGKILL");
    await eventually(async () => {
      const m = await metrics();
      return value(m, "weir_worker_restarts_total") === 1;
    }, "a worker restart");
    await eventually(async () => {
      const s = JSON.parse((await http(weir.adminPort, "/status")).body);
      return s.workers.length === 2 && s.workers.every((w: { state: string }) => w.state === "serving");
    }, "two serving workers again");
  });

  test("config reloads and their result", async () => {
    const ok = await http(weir.adminPort, "/reload", { method: "POST" });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(JSON.parse(ok.body).generation, 2);
    writeFileSync(weir.file, `${toml}\n[listeners.web.nonsense]\n`);
    const bad = await http(weir.adminPort, "/reload", { method: "POST" });
    assert.equal(bad.status, 409);
    assert.equal(JSON.parse(bad.body).error, "invalid config");
    const m = await metrics();
    assert.equal(value(m, "weir_config_reloads_total", { result: "success" }), 1);
    assert.equal(value(m, "weir_config_reloads_total", { result: "invalid" }), 1);
    assert.equal(value(m, "weir_config_generation"), 2);
    assert.ok(has(m, "weir_memory_bytes", { generation: "2", worker: "1" }));
  });
});
