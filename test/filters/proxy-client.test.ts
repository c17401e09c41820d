// CIDR rules behind a load balancer that sends PROXY headers (issue 8: "allowed and denied addresses
// (IPv4 and IPv6, through PROXY headers too)"): every connection comes from 127.0.0.1, and the rules
// decide on the client the header names, both at accept (listener filters) and at request arrival
// (route filters), for v1 and v2 headers, deny and allow lists.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import { buildProxyHeaderV1, buildProxyHeaderV2 } from "../../src/protocol/proxy-header/index.ts";
import { echoServer, listen, portOf } from "../lib/net.ts";
import { config, startOrigin, startWeir } from "./harness.ts";

const GET = "GET / HTTP/1.1\r\nhost: a.test\r\nconnection: close\r\n\r\n";

/** A PROXY header (v1 or v2) from `source` to a destination of the same family. */
function header(version: 1 | 2, source: string): Buffer {
  const destination = source.includes(":") ? "2001:db8::ffff" : "192.0.2.255";
  const h = {
    command: "proxy" as const,
    source: { address: source, port: 40000 },
    destination: { address: destination, port: 443 },
  };
  return version === 1 ? buildProxyHeaderV1(h) : buildProxyHeaderV2(h);
}

/**
 * Sends `bytes` on a new connection from 127.0.0.1 and reads until weir closes it: the HTTP status,
 * or "closed" when weir closed the connection without answering (a connection filter refused it).
 */
function answer(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let data = "";
    socket.on("data", (d: Buffer) => {
      data += d.toString("latin1");
    });
    const done = () => resolve(data === "" ? "closed" : (data.split(" ")[1] ?? data));
    socket.once("close", done);
    socket.on("error", () => {});
    socket.once("connect", () => socket.write(bytes));
    socket.setTimeout(2000, () => socket.destroy());
  });
}

test("v1 headers: deny lists see the real client (IPv4 and IPv6), at accept and at request arrival", async (t) => {
  const origin = await startOrigin(t);
  const weir = await startWeir(
    t,
    config(`
[listeners.web]
address = "127.0.0.1:0"
proxy_protocol = "v1"
proxy_protocol_from = ["127.0.0.1"]
[[listeners.web.filters]]
kind = "cidr"
deny = ["203.0.113.0/24", "2001:db8:bad::/48"]
[[routes]]
path_prefix = "/"
upstream = "origin"
[[routes.filters]]
kind = "cidr"
deny = ["198.51.100.7", "2001:db8::2"]
[[routes.filters]]
kind = "set_headers"
request = { "x-client" = "\${client_addr}" }
[upstreams.origin]
endpoints = ["127.0.0.1:${origin.port}"]
`),
  );
  const status = (source: string) => answer(weir.port, Buffer.concat([header(1, source), Buffer.from(GET)]));
  assert.equal(await status("192.0.2.1"), "200");
  assert.equal(origin.seen.at(-1)?.headers["x-client"], "192.0.2.1");
  assert.equal(await status("2001:db8::1"), "200");
  assert.equal(origin.seen.at(-1)?.headers["x-client"], "2001:db8::1");
  const reached = origin.seen.length;
  assert.equal(await status("203.0.113.9"), "closed", "listener rule at accept");
  assert.equal(await status("2001:db8:bad::5"), "closed", "listener rule at accept, IPv6");
  assert.equal(await status("198.51.100.7"), "403", "route rule at request arrival");
  assert.equal(await status("2001:db8::2"), "403", "route rule at request arrival, IPv6");
  assert.equal(origin.seen.length, reached, "no refused client reached the origin");
});

test("v2 headers: allow lists admit only the clients they name, whatever the load balancer's address", async (t) => {
  const origin = await startOrigin(t);
  const weir = await startWeir(
    t,
    config(`
[listeners.web]
address = "127.0.0.1:0"
proxy_protocol = "v2"
proxy_protocol_from = ["127.0.0.1"]
[[listeners.web.filters]]
kind = "cidr"
allow = ["192.0.2.0/24", "2001:db8::/32"]
[[routes]]
path_prefix = "/"
upstream = "origin"
[[routes.filters]]
kind = "cidr"
allow = ["192.0.2.1", "2001:db8::1"]
[upstreams.origin]
endpoints = ["127.0.0.1:${origin.port}"]
`),
  );
  const status = (source: string) => answer(weir.port, Buffer.concat([header(2, source), Buffer.from(GET)]));
  // The load balancer itself (127.0.0.1) is on neither list: only the header's source counts.
  assert.equal(await status("192.0.2.1"), "200");
  assert.equal(await status("2001:db8::1"), "200");
  assert.equal(await status("192.0.2.2"), "403", "in the listener's list, not the route's");
  assert.equal(await status("2001:db8::2"), "403", "in the listener's list, not the route's (IPv6)");
  assert.equal(await status("198.51.100.1"), "closed", "on no list: refused at accept");
  assert.equal(await status("2001:db9::1"), "closed", "on no list: refused at accept (IPv6)");
  assert.equal(origin.seen.length, 2);
});

test("raw TCP listener: a PROXY client on the deny list is closed before any byte is tunnelled", async (t) => {
  const echo = await listen(echoServer());
  t.after(() => echo.close());
  const weir = await startWeir(
    t,
    config(`
[listeners.tcp]
address = "127.0.0.1:0"
protocol = "tcp"
upstream = "echo"
proxy_protocol = "v2"
[[listeners.tcp.filters]]
kind = "cidr"
deny = ["2001:db8:bad::/48"]
[upstreams.echo]
endpoints = ["127.0.0.1:${portOf(echo)}"]
`),
  );
  const echoed = (source: string) =>
    new Promise<string>((resolve) => {
      const socket = connect({ port: weir.port, host: "127.0.0.1" });
      let data = "";
      socket.on("data", (d: Buffer) => {
        data += d.toString();
        if (data === "ping") socket.end();
      });
      socket.on("error", () => {});
      socket.once("close", () => resolve(data));
      socket.once("connect", () => socket.write(Buffer.concat([header(2, source), Buffer.from("ping")])));
      socket.setTimeout(2000, () => socket.destroy());
    });
  assert.equal(await echoed("2001:db8::1"), "ping");
  assert.equal(await echoed("2001:db8:bad::1"), "");
});
