// CIDR rules behind a load balancer that sends PROXY headers (issue 8: "allowed and denied addresses
// (IPv4 and IPv6, through PROXY headers too)"): every connection comes from 127.0.0.1, and the rules
// decide on the client the header names, both at accept (listener filters) and at request arrival
// (route filters), for v1 and v2 headers, deny and allow lists.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import {
  originConfig,
  proxiedStatus,
  proxyHeader,
  startEchoTunnel,
  startOrigin,
  startWeir,
} from "./harness.ts";

test("v1 headers: deny lists see the real client (IPv4 and IPv6), at accept and at request arrival", async (t) => {
  const origin = await startOrigin(t);
  const weir = await startWeir(
    t,
    originConfig(origin.port, {
      listener: `proxy_protocol = "v1"
proxy_protocol_from = ["127.0.0.1"]
[[listeners.web.filters]]
kind = "cidr"
deny = ["203.0.113.0/24", "2001:db8:bad::/48"]`,
      filters: `[[routes.filters]]
kind = "cidr"
deny = ["198.51.100.7", "2001:db8::2"]
[[routes.filters]]
kind = "set_headers"
request = { "x-client" = "\${client_addr}" }`,
    }),
  );
  const status = (source: string) => proxiedStatus(weir.port, 1, source);
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
    originConfig(origin.port, {
      listener: `proxy_protocol = "v2"
proxy_protocol_from = ["127.0.0.1"]
[[listeners.web.filters]]
kind = "cidr"
allow = ["192.0.2.0/24", "2001:db8::/32"]`,
      filters: `[[routes.filters]]
kind = "cidr"
allow = ["192.0.2.1", "2001:db8::1"]`,
    }),
  );
  const status = (source: string) => proxiedStatus(weir.port, 2, source);
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
  const weir = await startEchoTunnel(
    t,
    `proxy_protocol = "v2"
[[listeners.tcp.filters]]
kind = "cidr"
deny = ["2001:db8:bad::/48"]`,
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
      socket.once("connect", () =>
        socket.write(Buffer.concat([proxyHeader(2, source), Buffer.from("ping")])),
      );
      socket.setTimeout(2000, () => socket.destroy());
    });
  assert.equal(await echoed("2001:db8::1"), "ping");
  assert.equal(await echoed("2001:db8:bad::1"), "");
});
