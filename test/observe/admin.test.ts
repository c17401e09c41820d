// The admin API of a real `weir run --workers 2`: the bearer token, /logs filtered by level with the
// workers' lines in it, the live stream, /status, /config with secrets redacted, POST /reload, /readyz
// following endpoint health, and the dashboard's files.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { freePort, type Origin, type RunningWeir, runWeir, selfSigned, startOrigin } from "./harness.ts";
import { eventually, http } from "./lib.ts";

const TOKEN = "correct-horse-battery-staple";
const AUTH = { authorization: `Bearer ${TOKEN}` };
let weir: RunningWeir;
let origin: Origin;
let webPort: number;
let dead: number;

describe("admin API", { timeout: 60_000 }, () => {
  before(async () => {
    origin = await startOrigin();
    dead = await freePort();
    webPort = await freePort();
    const securePort = await freePort();
    const cert = selfSigned("admin.test", 30);
    weir = await runWeir(
      `
[log]
push = { otlp_headers = { "api-key" = "collector-secret" } }

[admin]
listen = "127.0.0.1:0"
token = "${TOKEN}"

[access_log]
output = "{{dir}}/access.log"

[listeners.web]
address = "127.0.0.1:${webPort}"

[listeners.secure]
address = "127.0.0.1:${securePort}"
[listeners.secure.tls]
certificates = [{ cert = "${cert.cert}", key = "${cert.key}" }]

[[routes]]
name = "down"
path_prefix = "/down"
upstream = "nowhere"

[[routes]]
name = "main"
upstream = "origin"

[upstreams.origin]
endpoints = ["127.0.0.1:${origin.port}"]
health = { http_path = "/healthz", interval = "200ms", timeout = "150ms", rise = 1, fall = 1 }

[upstreams.nowhere]
endpoints = ["127.0.0.1:${dead}"]
`,
      2,
    );
  });

  after(async () => {
    assert.equal(await weir?.weir.stop(), 0);
    await origin?.close().catch(() => {});
  });

  test("probes answer without the token; everything else needs it", async () => {
    assert.equal((await http(weir.adminPort, "/healthz")).status, 200);
    const ready = await eventually(async () => {
      const r = await http(weir.adminPort, "/readyz");
      return r.status === 200 ? r : undefined;
    }, "ready");
    assert.ok(JSON.parse(ready.body).checks.some((c: { name: string }) => c.name === "upstream origin"));
    for (const path of ["/metrics", "/logs", "/status", "/config"]) {
      const none = await http(weir.adminPort, path);
      assert.equal(none.status, 401, path);
      assert.match(String(none.headers["www-authenticate"]), /^Bearer/);
      assert.equal(
        (await http(weir.adminPort, path, { headers: { authorization: "Bearer wrong" } })).status,
        401,
      );
      assert.equal((await http(weir.adminPort, path, { headers: AUTH })).status, 200, path);
    }
    assert.equal((await http(weir.adminPort, "/reload", { method: "POST" })).status, 401);
  });

  test("/logs returns recent lines of every process, filtered by level and limited", async () => {
    // A request to an endpoint that refuses connections: the worker logs a warning.
    assert.equal((await http(webPort, "/down")).status, 502);
    const warn = await eventually(async () => {
      const r = JSON.parse(
        (await http(weir.adminPort, "/logs?level=warn&limit=200", { headers: AUTH })).body,
      );
      return r.lines.some((l: { msg: string }) => l.msg === "upstream request failed") ? r.lines : undefined;
    }, "the worker's warning in /logs");
    assert.ok(warn.length > 0);
    assert.ok(warn.every((l: { level: string }) => ["warn", "error", "fatal"].includes(l.level)));
    assert.ok(
      warn.some((l: { worker?: number }) => l.worker !== undefined),
      "a worker's line",
    );
    const all = JSON.parse((await http(weir.adminPort, "/logs?level=info", { headers: AUTH })).body).lines;
    assert.ok(
      all.some((l: { msg: string; role?: string }) => l.msg === "weir started" && l.role === "supervisor"),
    );
    assert.ok(all.some((l: { msg: string; worker?: number }) => l.msg === "listening" && l.worker === 2));
    assert.ok(all.length > warn.length);
    // Oldest first, newest last.
    const times = all.map((l: { time: string }) => Date.parse(l.time));
    assert.ok(times.at(-1) >= times[0]);
    const one = JSON.parse(
      (await http(weir.adminPort, "/logs?level=info&limit=1", { headers: AUTH })).body,
    ).lines;
    assert.equal(one.length, 1);
    assert.deepEqual(one[0], all.at(-1));
    assert.equal((await http(weir.adminPort, "/logs?level=chatty", { headers: AUTH })).status, 400);
    assert.equal((await http(weir.adminPort, "/logs?limit=0", { headers: AUTH })).status, 400);
  });

  test("/logs/stream sends new lines as server-sent events", async () => {
    const events: string[] = [];
    const req = request({
      host: "127.0.0.1",
      port: weir.adminPort,
      path: "/logs/stream?level=warn&limit=1",
      headers: { ...AUTH, accept: "text/event-stream" },
    });
    const opened = new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
      req.once("response", resolve);
      req.once("error", reject);
    });
    req.end();
    const res = await opened;
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^text\/event-stream/);
    let buffer = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (event.startsWith("data: ")) events.push(event.slice(6));
        end = buffer.indexOf("\n\n");
      }
    });
    const before = events.length;
    await http(webPort, "/down/again");
    await eventually(() => events.length > before, "a new event");
    const line = JSON.parse(events.at(-1) as string);
    assert.equal(line.level, "warn");
    assert.equal(line.msg, "upstream request failed");
    req.destroy();
  });

  test("/status: version, uptime, generation, workers, listeners, routes, upstreams, certificates", async () => {
    const s = JSON.parse((await http(weir.adminPort, "/status", { headers: AUTH })).body);
    assert.match(s.version, /^\d+\.\d+\.\d+/);
    assert.ok(s.uptime_seconds >= 0);
    assert.equal(s.generation, 1);
    assert.equal(s.workers.length, 2);
    for (const w of s.workers) {
      assert.equal(w.state, "serving");
      assert.ok(w.pid > 0);
      assert.ok(w.rss_bytes > 0);
    }
    assert.deepEqual(
      s.listeners.map((l: { name: string }) => l.name),
      ["web", "secure"],
    );
    assert.equal(s.listeners[1].tls, true);
    assert.deepEqual(
      s.routes.map((r: { name: string; upstream: string }) => [r.name, r.upstream]),
      [
        ["down", "nowhere"],
        ["main", "origin"],
      ],
    );
    const originUp = s.upstreams.find((u: { name: string }) => u.name === "origin");
    assert.deepEqual(
      originUp.endpoints.map((e: { address: string; state: string }) => [e.address, e.state]),
      [[`127.0.0.1:${origin.port}`, "up"]],
    );
    assert.equal(s.certificates.length, 1);
    assert.deepEqual(s.certificates[0].names, ["admin.test"]);
    assert.ok(s.certificates[0].days_left === 29 || s.certificates[0].days_left === 30);
  });

  test("/config is the effective config with secrets redacted", async () => {
    const body = (await http(weir.adminPort, "/config", { headers: AUTH })).body;
    assert.ok(!body.includes(TOKEN));
    assert.ok(!body.includes("collector-secret"));
    const c = JSON.parse(body);
    assert.equal(c.admin.token, "[redacted]");
    assert.deepEqual(c.log.push.otlp_headers, { "api-key": "[redacted]" });
    assert.equal(c.upstreams.origin.endpoints[0], `127.0.0.1:${origin.port}`);
    assert.equal(c.listeners.web.http.header_timeout, 10_000);
  });

  test("the dashboard's files are served without the token", async () => {
    const page = await http(weir.adminPort, "/");
    assert.equal(page.status, 200);
    assert.match(String(page.headers["content-type"]), /^text\/html/);
    assert.match(page.body, /<script src="dashboard\.js"/);
    assert.doesNotMatch(page.body, /https?:\/\//, "no CDN");
    const js = await http(weir.adminPort, "/dashboard.js");
    assert.equal(js.status, 200);
    assert.match(String(js.headers["content-type"]), /javascript/);
    assert.equal((await http(weir.adminPort, "/dashboard.css")).status, 200);
    assert.equal((await http(weir.adminPort, "/nope", { headers: AUTH })).status, 404);
  });

  test("POST /reload answers with the outcome; GET is refused", async () => {
    assert.equal((await http(weir.adminPort, "/reload", { headers: AUTH })).status, 405);
    const r = await http(weir.adminPort, "/reload", { method: "POST", headers: AUTH });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { ok: true, generation: 2 });
    const s = JSON.parse((await http(weir.adminPort, "/status", { headers: AUTH })).body);
    assert.equal(s.generation, 2);
    assert.equal(s.last_reload.ok, true);
  });

  test("/readyz fails while a routed upstream has no healthy endpoint", async () => {
    await eventually(
      async () => (await http(weir.adminPort, "/readyz")).status === 200,
      "ready after reload",
    );
    await origin.close();
    const r = await eventually(async () => {
      const res = await http(weir.adminPort, "/readyz");
      return res.status === 503 ? res : undefined;
    }, "not ready");
    const failed = JSON.parse(r.body).checks.filter((c: { ok: boolean }) => !c.ok);
    assert.deepEqual(
      failed.map((c: { name: string; detail: string }) => [c.name, c.detail]),
      [["upstream origin", "0/1 endpoints healthy"]],
    );
    const s = JSON.parse((await http(weir.adminPort, "/status", { headers: AUTH })).body);
    assert.equal(s.upstreams.find((u: { name: string }) => u.name === "origin").endpoints[0].state, "down");
  });
});
