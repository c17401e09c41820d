// A transparent listener on one dual-stack address ([::]:4140) with a certificate, in a network namespace
// this test creates (sidecar-scenario.ts, `unshare --net --fork`, as root): IPv4 and IPv6 applications
// are redirected to the same socket by the iptables and ip6tables rules `weir iptables` prints and reach
// their own original destinations; TLS to a name weir holds a certificate for is terminated and the
// decrypted stream detected again: a line protocol is tunnelled in cleartext to the original destination,
// a server that speaks first is reached after detect_timeout, HTTP/1.1 (by its bytes) and HTTP/2 (by ALPN)
// are served by routes.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { accessLines, type ScenarioOutcome, scenarioChecks } from "./namespaces.ts";

const SCENARIO = new URL("./sidecar-scenario.ts", import.meta.url).pathname;

interface TlsOutcome {
  authorized: boolean;
  fingerprint: string;
  data: string;
  firstByteMs: number;
  error?: string;
}
interface HttpOutcome {
  status: number;
  body: { origin: string; host: string; xff: string; proto: string };
  error?: string;
}

interface Outcome extends ScenarioOutcome {
  rules: string[];
  lineV4: TlsOutcome;
  lineV6: TlsOutcome;
  serverFirst: TlsOutcome;
  https: HttpOutcome;
  httpsUnrouted: HttpOutcome;
  h2: HttpOutcome;
  httpV4: HttpOutcome;
  httpV6: HttpOutcome;
  loopV4: { closed: boolean; bytes: number };
  loopV6: { closed: boolean; bytes: number };
  detectTimeoutMs: number;
  weirFingerprint: string;
}

describe("transparent sidecar: dual-stack listener, TLS terminated and detected again", () => {
  const run = scenarioChecks<Outcome>(SCENARIO, ["openssl"]);

  run("one [::] listener takes IPv4 and IPv6 redirects, each to its own original destination", (o) => {
    assert.equal(o.rules.filter((r) => r.startsWith("ip6tables ")).length, 2);
    assert.equal(o.httpV4.status, 200, `${o.httpV4.error}`);
    assert.deepEqual(o.httpV4.body, { origin: "v4", host: "v4.test:18888", xff: "127.0.0.1", proto: "http" });
    assert.equal(o.httpV6.status, 200, `${o.httpV6.error}`);
    assert.deepEqual(o.httpV6.body, { origin: "v6", host: "v6.test:18888", xff: "::1", proto: "http" });
    const lines = accessLines(o);
    const v4 = lines.find((l) => l.host === "v4.test:18888");
    const v6 = lines.find((l) => l.host === "v6.test:18888");
    assert.equal(v4?.original_dst, "127.0.0.1:18888");
    assert.equal(v4?.route, "original_dst");
    assert.equal(v6?.original_dst, "[::1]:18888");
    assert.equal(v6?.upstream, "[::1]:18888");
  });

  run("a connection straight to the dual-stack proxy port is a loop, over IPv4 and IPv6", (o) => {
    assert.deepEqual(o.loopV4, { closed: true, bytes: 0 });
    assert.deepEqual(o.loopV6, { closed: true, bytes: 0 });
    assert.match(o.weirStderr, /original destination 127\.0\.0\.1:4140 is this listener itself/);
    assert.match(o.weirStderr, /original destination ::1:4140 is this listener itself/);
    assert.equal(o.exitCode, 0);
  });

  run("a line protocol inside TLS weir terminates reaches the original destination in cleartext", (o) => {
    for (const [outcome, origin, dst] of [
      [o.lineV4, "v4", "127.0.0.1:18443"],
      [o.lineV6, "v6", "[::1]:18443"],
    ] as const) {
      assert.equal(outcome.error, undefined, `${outcome.error}`);
      assert.equal(outcome.authorized, true);
      assert.equal(outcome.fingerprint, o.weirFingerprint, "the client met weir's certificate");
      assert.equal(outcome.data, `+PONG ${origin}\r\n`);
      // Detection ruled HTTP out on the first bytes: no wait for detect_timeout.
      assert.ok(outcome.firstByteMs < o.detectTimeoutMs, `answer after ${outcome.firstByteMs} ms`);
      const line = accessLines(o).find((l) => l.type === "tcp" && l.original_dst === dst);
      assert.ok(line, `no tunnel line for ${dst}:\n${o.weirStdout}`);
      assert.equal(line.upstream, "original_dst");
      // One spelling per client on the dual-stack listener: IPv4 clients are not "::ffff:…".
      assert.equal(line.client, origin === "v4" ? "127.0.0.1" : "::1");
      // The decrypted request, 14 bytes, not its TLS records.
      assert.equal(line.bytes_in, 14);
    }
  });

  run("a server that speaks first inside TLS is reached when detect_timeout passes", (o) => {
    assert.equal(o.serverFirst.error, undefined, `${o.serverFirst.error}`);
    assert.equal(o.serverFirst.fingerprint, o.weirFingerprint);
    assert.equal(o.serverFirst.data, "220 origin ready\r\n");
    assert.ok(
      o.serverFirst.firstByteMs >= o.detectTimeoutMs - 20,
      `greeting after ${o.serverFirst.firstByteMs}`,
    );
    assert.ok(o.serverFirst.firstByteMs < 3000, `greeting after ${o.serverFirst.firstByteMs} ms`);
  });

  run(
    "HTTP inside TLS still works: HTTP/1.1 found by its bytes, HTTP/2 by ALPN, served by the route",
    (o) => {
      for (const r of [o.https, o.h2]) {
        assert.equal(r.status, 200, `${r.error}`);
        assert.equal(r.body.origin, "app");
        assert.equal(r.body.xff, "127.0.0.1");
        assert.equal(r.body.proto, "https");
      }
      const lines = accessLines(o).filter((l) => l.original_dst === "127.0.0.1:18443" && l.method === "GET");
      assert.deepEqual(lines.map((l) => l.proto).sort(), ["1.1", "2.0"]);
    },
  );

  run("HTTP inside TLS that matches no route goes to the original destination, decrypted", (o) => {
    const r = o.httpsUnrouted;
    assert.equal(r.status, 200, `${r.error}`);
    assert.equal(r.body.origin, "plain");
    assert.equal(r.body.host, "elsewhere.test");
    assert.equal(r.body.proto, "https", "the origin learns the client spoke TLS to weir");
    const line = accessLines(o).find((l) => l.original_dst === "127.0.0.3:18443" && l.method === "GET");
    assert.equal(line?.upstream, "127.0.0.3:18443");
  });
});
