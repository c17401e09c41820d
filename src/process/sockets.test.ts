import assert from "node:assert/strict";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema/index.ts";
import { ListenerSockets, socketKey } from "./sockets.ts";

function config(listeners: Record<string, string>): Config {
  const text = Object.entries(listeners)
    .map(
      ([name, address]) => `[listeners.${name}]\naddress = "${address}"\nprotocol = "tcp"\nupstream = "u"\n`,
    )
    .join("\n");
  const loaded = loadConfig({ text: `${text}\n[upstreams.u]\nendpoints = ["127.0.0.1:1"]\n` });
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
  return loaded.config;
}

const connects = (opts: { port: number; host: string } | { path: string }) =>
  new Promise<boolean>((resolve) => {
    const s = connect(opts as import("node:net").NetConnectOpts);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });

test("socketKey: one key per address however it is written", () => {
  assert.equal(socketKey("localhost:80"), "127.0.0.1:80");
  assert.equal(socketKey("[::1]:80"), "[::1]:80");
  assert.equal(socketKey("*:80"), "[::]:80");
  assert.equal(socketKey("unix:/run/w.sock"), "unix:/run/w.sock");
});

test("a reload keeps the descriptor of an unchanged address, binds new ones, closes removed ones", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "weir-sockets-"));
  const path = join(dir, "a.sock");
  const sockets = new ListenerSockets();
  t.after(() => sockets.closeAll(true));
  const first = await sockets.prepare(config({ a: "127.0.0.1:0", u: `unix:${path}` }));
  assert.equal(first.added.length, 2);
  assert.equal(statSync(path).mode & 0o777, 0o660, "socket_mode applied before listen");
  const port = sockets.all.find((s) => s.key === "127.0.0.1:0")?.port as number;
  assert.ok(port > 0);
  assert.ok(await connects({ host: "127.0.0.1", port }), "listening (the kernel queues connections)");

  const next = config({ renamed: "127.0.0.1:0", b: "127.0.0.2:0" });
  const second = await sockets.prepare(next);
  assert.deepEqual(
    second.added.map((s) => s.key),
    ["127.0.0.2:0"],
    "same address, same socket: only the new address is bound",
  );
  assert.equal(second.byName.get("renamed"), first.byName.get("a"));
  const removed = sockets.retain(next);
  assert.deepEqual(
    removed.map((s) => s.key),
    [`unix:${path}`],
  );
  assert.ok(!existsSync(path), "removed Unix listener's file is gone");
});

test("a failed bind undoes the sockets bound for that config", async (t) => {
  const sockets = new ListenerSockets();
  t.after(() => sockets.closeAll(true));
  const dir = mkdtempSync(join(tmpdir(), "weir-sockets-"));
  await assert.rejects(
    sockets.prepare(
      config({ a: `unix:${join(dir, "ok.sock")}`, b: `unix:${join(dir, "missing", "x.sock")}` }),
    ),
    (err: Error & { code: string }) => err.name === "ListenError" && /listener "b"/.test(err.message),
  );
  assert.equal(sockets.all.length, 0);
  assert.ok(!existsSync(join(dir, "ok.sock")));
});
