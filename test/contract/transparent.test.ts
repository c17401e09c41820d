// shared/contract/transparent.toml, as its comments say, in a network namespace this test creates
// (`unshare --net --fork`: loopback up, the rules `weir iptables` prints, origins, weir as root with its
// worker as nobody, and the clients, all inside; the namespace goes away with its last process). The
// scenario (test/transparent/scenario.ts) prints what the clients saw and weir's output as JSON.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { accessLines, type ScenarioOutcome, scenarioChecks } from "../transparent/namespaces.ts";

const SCENARIO = new URL("../transparent/scenario.ts", import.meta.url).pathname;

interface Outcome extends ScenarioOutcome {
  rules: string[];
  http: { status: number; body: { origin: string; path: string; host: string; xff: string } };
  http10: { closed: boolean; head: string; body: string };
  opaque: { greeting: string; firstByteMs: number; identical: boolean; bytes: number };
  tls: {
    outcome: string;
    authorized: boolean;
    subject: string;
    fingerprint: string;
    expectedFingerprint: string;
    reply: string;
  };
  serverFirst: { data: string; firstByteMs: number };
  rawTcp: { identical: boolean; firstByteMs: number };
  loop: { closed: boolean; bytes: number };
  loopLogged: boolean;
}

describe("contract: transparent.toml", () => {
  const run = scenarioChecks<Outcome>(SCENARIO, ["openssl"]);

  run("the rules come from `weir iptables` exactly as the contract's comments write them", (o) => {
    assert.deepEqual(o.rules.slice(0, 2), [
      "iptables -t nat -A OUTPUT -p tcp -m owner --uid-owner nobody -j RETURN",
      "iptables -t nat -A OUTPUT -p tcp -m multiport --dports 18888,18825 -j REDIRECT --to-ports 4140",
    ]);
  });

  run(
    "HTTP through the redirect reaches the origin with X-Forwarded-For and shows in the access log",
    (o) => {
      assert.equal(o.http.status, 200);
      assert.equal(o.http.body.origin, "v4");
      assert.equal(o.http.body.path, "/through/redirect?x=1");
      assert.equal(o.http.body.host, "app.test:18888");
      assert.equal(o.http.body.xff, "127.0.0.1");
      const line = accessLines(o).find((l) => l.path === "/through/redirect?x=1");
      assert.ok(line, `no access log line for the request:\n${o.weirStdout}`);
      assert.equal(line.status, 200);
      assert.equal(line.method, "GET");
      assert.equal(line.original_dst, "127.0.0.1:18888");
      assert.equal(line.upstream, "127.0.0.1:18888");
      assert.equal(line.route, "original_dst");
    },
  );

  run("HTTP/1.0 without Host goes to the original destination", (o) => {
    assert.equal(o.http10.head, "HTTP/1.1 200 OK");
    const body = JSON.parse(o.http10.body) as { path: string; xff: string };
    assert.equal(body.path, "/http10");
    assert.equal(body.xff, "127.0.0.1");
    assert.equal(o.http10.closed, true);
  });

  run("the server-speaks-first port 18825 works byte for byte, with no detection delay", (o) => {
    assert.equal(o.opaque.greeting, "220 origin.test ESMTP\r\n");
    // detect_timeout is 1s: a greeting well under it was not held back by detection.
    assert.ok(o.opaque.firstByteMs < 500, `greeting after ${o.opaque.firstByteMs} ms`);
    assert.equal(o.opaque.bytes, 256 * 1024);
    assert.equal(o.opaque.identical, true);
    const line = accessLines(o).find(
      (l) => l.original_dst === "127.0.0.1:18825" && l.bytes_in === 256 * 1024,
    );
    assert.ok(line, "the opaque session is in the access log");
    assert.equal(line.type, "tcp");
  });

  run("TLS whose SNI weir has no certificate for reaches the origin's own certificate", (o) => {
    assert.equal(o.tls.outcome, "secure");
    assert.equal(o.tls.authorized, true);
    assert.equal(o.tls.subject, "CN=origin.test");
    assert.equal(o.tls.fingerprint, o.tls.expectedFingerprint);
    assert.equal(o.tls.reply, "ping over TLS\n");
  });

  run("a raw TCP protocol on a detecting port is forwarded after detection gives up", (o) => {
    // A server that speaks first: nothing to detect until detect_timeout (1s) passes, then a raw tunnel.
    assert.equal(o.serverFirst.data, "HELLO from a server that speaks first\n");
    assert.ok(o.serverFirst.firstByteMs >= 900, `greeting after ${o.serverFirst.firstByteMs} ms`);
    assert.ok(o.serverFirst.firstByteMs < 3000, `greeting after ${o.serverFirst.firstByteMs} ms`);
    // Bytes that are neither TLS nor HTTP: forwarded as soon as detection rules them out.
    assert.equal(o.rawTcp.identical, true);
  });

  run("a connection straight to the proxy port would loop: closed with an error, weir stops cleanly", (o) => {
    assert.equal(o.loop.closed, true);
    assert.equal(o.loop.bytes, 0);
    assert.equal(o.loopLogged, true);
    assert.equal(o.exitCode, 0);
  });
});
