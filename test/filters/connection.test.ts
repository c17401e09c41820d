// Connection filters on listeners (cidr, connection_limit), at accept, for raw TCP and HTTP listeners,
// IPv4 and IPv6.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, test } from "node:test";
import { originConfig, send, sleep, startEchoTunnel, startOrigin, startWeir } from "./harness.ts";

/** Connects and reports whether the peer kept the connection: an echo comes back, or it was closed. */
function tryConnection(
  port: number,
  opts: { host?: string; localAddress?: string; first?: string | Buffer; payload?: string } = {},
): Promise<{ open: boolean; data: string; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: opts.host ?? "127.0.0.1", localAddress: opts.localAddress });
    let data = "";
    let settled = false;
    const done = (open: boolean) => {
      if (settled) return;
      settled = true;
      resolve({ open, data, socket });
    };
    socket.on("data", (d: Buffer) => {
      data += d.toString();
      if (opts.payload !== undefined && data.includes(opts.payload)) done(true);
    });
    socket.on("error", () => done(false));
    socket.on("close", () => done(false));
    socket.on("connect", () => {
      if (opts.first !== undefined) socket.write(opts.first);
      if (opts.payload !== undefined) socket.write(opts.payload);
    });
    setTimeout(() => done(!socket.destroyed), 1000);
  });
}

describe("listener connection filters", () => {
  test("tcp listener: cidr deny closes the connection on accept; others are tunnelled", async (t) => {
    const weir = await startEchoTunnel(
      t,
      `[[listeners.tcp.filters]]
kind = "cidr"
deny = ["127.0.0.2/32"]`,
    );
    const allowed = await tryConnection(weir.port, { payload: "ping" });
    assert.equal(allowed.open, true);
    allowed.socket.destroy();
    const denied = await tryConnection(weir.port, { localAddress: "127.0.0.2", payload: "ping" });
    assert.equal(denied.open, false);
    assert.equal(denied.data, "");
  });

  test("http listener: allow list over IPv6 and IPv4", async (t) => {
    const origin = await startOrigin(t);
    const weir = await startWeir(
      t,
      originConfig(origin.port, {
        address: "[::]:0",
        listener: `[[listeners.web.filters]]
kind = "cidr"
allow = ["::1/128", "127.0.0.0/30"]
deny = ["127.0.0.2"]`,
      }),
      "::",
    );
    assert.equal((await send(weir.port, "/", { host: "::1" })).status, 200);
    assert.equal(
      (await send(weir.port, "/", { host: "127.0.0.1" })).status,
      200,
      "IPv4-mapped on a [::] socket",
    );
    await assert.rejects(send(weir.port, "/", { host: "127.0.0.1", localAddress: "127.0.0.2" }), "denied");
    await assert.rejects(
      send(weir.port, "/", { host: "127.0.0.1", localAddress: "127.0.0.5" }),
      "not allowed",
    );
  });

  test("connection_limit: a client holds at most N connections; others are not counted against it", async (t) => {
    const weir = await startEchoTunnel(
      t,
      `[[listeners.tcp.filters]]
kind = "connection_limit"
per_client = 2`,
    );
    const first = await tryConnection(weir.port, { payload: "a" });
    const second = await tryConnection(weir.port, { payload: "b" });
    assert.equal(first.open && second.open, true);
    const third = await tryConnection(weir.port, { payload: "c" });
    assert.equal(third.open, false, "a third connection from the same address is closed");
    const other = await tryConnection(weir.port, { localAddress: "127.0.0.2", payload: "d" });
    assert.equal(other.open, true, "another client has its own count");
    other.socket.destroy();
    first.socket.destroy();
    await sleep(50);
    const again = await tryConnection(weir.port, { payload: "e" });
    assert.equal(again.open, true, "a closed connection frees its place");
    again.socket.destroy();
    second.socket.destroy();
  });
});
