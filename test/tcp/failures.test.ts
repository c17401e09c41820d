// Raw TCP forwarding when things go wrong: upstream down, the listener's connection cap, graceful stop.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { connectTo, echoServer, listen, portOf, readAll, readBytes } from "../lib/net.ts";
import { startWeir, type WeirProcess, writeConfig } from "../lib/weir-process.ts";

async function freePort(): Promise<number> {
  const s = await listen(createServer(), 0);
  const p = portOf(s);
  await new Promise((r) => s.close(r));
  return p;
}

async function metric(adminPort: number, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

describe("tcp listeners under failure", () => {
  let weir: WeirProcess;
  let admin: number;
  let down: number;
  let capped: number;
  let plain: number;
  let echo: ReturnType<typeof echoServer>;

  before(async () => {
    echo = await listen(echoServer(), 0);
    const deadPort = await freePort();
    [admin, down, capped, plain] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const file = writeConfig(`
[system]
workers = 1
grace_period = "1s"
[admin]
listen = "127.0.0.1:${admin}"
[listeners.down]
address = "127.0.0.1:${down}"
protocol = "tcp"
upstream = "dead"
[listeners.capped]
address = "127.0.0.1:${capped}"
protocol = "tcp"
upstream = "echo"
max_connections = 2
[listeners.plain]
address = "127.0.0.1:${plain}"
protocol = "tcp"
upstream = "echo"
[upstreams.dead]
endpoints = ["127.0.0.1:${deadPort}"]
connect_timeout = "1s"
[upstreams.echo]
endpoints = ["127.0.0.1:${portOf(echo)}"]
`);
    weir = startWeir(["run", "--config", file]);
    await weir.waitFor(/"weir started"/);
  });
  after(async () => {
    await weir.stop();
    echo.close();
  });

  test("an upstream that refuses: the client is closed cleanly, logged and counted", async () => {
    const s = await connectTo({ port: down });
    const got = await readAll(s);
    assert.equal(got.length, 0);
    await weir.waitFor(/upstream connect failed.*ECONNREFUSED|ECONNREFUSED.*upstream connect failed/);
    assert.ok((await metric(admin, "weir_upstream_connect_failures_total", 'code="ECONNREFUSED"')) >= 1);
  });

  test("max_connections: the connection over the cap is closed, the others keep working", async () => {
    const a = await connectTo({ port: capped });
    const b = await connectTo({ port: capped });
    a.write("a");
    b.write("b");
    await Promise.all([readBytes(a, 1), readBytes(b, 1)]);
    const c = await connectTo({ port: capped });
    const cData = await readAll(c);
    assert.equal(cData.length, 0, "the third connection is closed without data");
    a.write("still here");
    assert.equal((await readBytes(a, 10)).toString(), "still here");
    assert.ok((await metric(admin, "weir_connections_rejected_total", 'reason="max_connections"')) >= 1);
    a.destroy();
    b.destroy();
  });

  test("SIGTERM: stops accepting, lets a tunnel finish within the grace period, then exits 0", async () => {
    const s = await connectTo({ port: plain });
    s.write("x");
    await readBytes(s, 1);
    const t0 = Date.now();
    weir.child.kill("SIGTERM");
    // The open tunnel is cut when the 1 s grace period ends; the process exits 0.
    await new Promise((r) => {
      s.once("end", r);
      s.once("close", r);
      s.resume();
    });
    assert.equal(await weir.exited, 0);
    const took = Date.now() - t0;
    assert.ok(took >= 900 && took < 5000, `stopped after ${took} ms`);
    await assert.rejects(connectTo({ port: plain }), /ECONNREFUSED/);
  });
});
