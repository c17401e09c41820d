// Active health checks of an upstream with `proxy_protocol` begin each probe connection with a PROXY
// header of the LOCAL command (v1 "UNKNOWN"), so an endpoint that requires the header, as the upstream's
// own connections carry it, answers the checks instead of closing them (issue 5).
import assert from "node:assert/strict";
import { test } from "node:test";
import { headerOrigin, httpOrigin } from "../proxy/harness.ts";
import { until, upstreamFrom } from "./env.ts";

test("HTTP checks of a proxy_protocol = v2 upstream send LOCAL first and pass on an endpoint that requires it", async (t) => {
  const origin = await httpOrigin(t, true);
  const u = upstreamFrom(
    "pp",
    `endpoints = ["127.0.0.1:${origin.port}"]
proxy_protocol = "v2"
health = { http_path = "/healthz", interval = "200ms", timeout = "150ms", rise = 1, fall = 1, start = "unknown" }`,
  );
  t.after(() => u.close());
  const endpoint = u.endpoints[0];
  assert.ok(endpoint);
  await until(() => u.stateOf(endpoint).active !== "unknown", 3_000, "the first check");
  assert.equal(u.stateOf(endpoint).active, "healthy");
  const check = origin.seen.find((s) => s.url === "/healthz");
  assert.ok(check, "the check reached the origin as an HTTP request");
  assert.equal(check.proxy?.command, "local");
  assert.equal(check.proxy?.family, "unspec");
  assert.equal(check.headers["user-agent"], "weir-health-check");
});

test("TCP checks of a proxy_protocol = v1 upstream send PROXY UNKNOWN first", async (t) => {
  const origin = await headerOrigin(t, (a) => a.socket.end(), 0);
  const u = upstreamFrom(
    "pp",
    `endpoints = ["127.0.0.1:${origin.port}"]
proxy_protocol = "v1"
health = { check = "tcp", interval = "200ms", timeout = "150ms", rise = 1, fall = 1, start = "unknown" }`,
  );
  t.after(() => u.close());
  const endpoint = u.endpoints[0];
  assert.ok(endpoint);
  await until(() => u.stateOf(endpoint).active !== "unknown", 3_000, "the first check");
  assert.equal(u.stateOf(endpoint).active, "healthy");
  await until(() => origin.arrivals.length > 0, 3_000, "a check's header");
  const first = origin.arrivals[0]!;
  assert.equal(first.result.kind, "header", "the check began with a valid PROXY header");
  assert.equal(first.header?.version, 1);
  assert.equal(first.header?.family, "unspec");
  assert.equal(first.rest.length, 0, "nothing but the header");
});
