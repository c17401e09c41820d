// shared/contract/tcp.toml, as its comments say: three kinds of listener to one upstream, bytes unchanged
// both ways, half-close in each direction, 30 s idle timeout.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:net";
import { after, before, describe, test } from "node:test";
import { closed, connectTo, listen, readAll, readBytes } from "../lib/net.ts";
import { startWeir, type WeirProcess } from "../lib/weir-process.ts";

const V4 = { host: "127.0.0.1", port: 15000 };
const V6 = { host: "::1", port: 15000 };
const UNIX = { path: "/tmp/weir-contract-tcp.sock" };

/** The upstream echoes, unless a connection starts with "MODE:<name>\n" and asks for another behaviour. */
function upstreamServer(): Server {
  return createServer({ allowHalfOpen: true }, (u) => {
    u.on("error", () => {});
    u.once("readable", () => {
      const first: Buffer | null = u.read();
      if (!first) return u.end();
      const text = first.subarray(0, 32).toString("latin1");
      if (!text.startsWith("MODE:")) {
        u.unshift(first);
        return u.pipe(u);
      }
      const nl = first.indexOf(10);
      const mode = text.slice(5, nl);
      const rest = first.subarray(nl + 1);
      if (mode === "reply-after-fin") {
        // Wait for the client's FIN, then answer and close.
        u.resume();
        u.once("end", () => setTimeout(() => u.end("reply after your FIN"), 100));
      } else if (mode === "fin-first") {
        // FIN first, then keep reading; report what arrived once the client ends too.
        u.end("goodbye");
        const got: Buffer[] = [rest];
        u.on("data", (c: Buffer) => got.push(c));
        u.once("end", () => upstreamReports.push(Buffer.concat(got).toString()));
      }
    });
  });
}

const upstreamReports: string[] = [];

describe("contract: tcp.toml", { concurrency: true }, () => {
  let weir: WeirProcess;
  let upstream: Server;

  before(async () => {
    upstream = await listen(upstreamServer(), 15001);
    weir = startWeir(["run", "--config", "examples/tcp.toml", "--workers", "1"]);
    await weir.waitFor(/"weir started"|"msg":"ready"/);
  });
  after(async () => {
    assert.equal(await weir.stop(), 0);
    upstream.close();
  });

  for (const [name, target] of [
    ["IPv4", V4],
    ["IPv6", V6],
    ["Unix socket", UNIX],
  ] as const) {
    test(`${name}: bytes pass unchanged both ways`, async () => {
      const s = await connectTo(target);
      const data = randomBytes(256 * 1024);
      data[0] = 0x42;
      const received = readAll(s);
      s.end(data);
      assert.ok((await received).equals(data));
    });
  }

  test("a 1 GiB stream arrives intact (sha256)", async () => {
    const s = await connectTo(V4);
    const chunk = randomBytes(1 << 20);
    const sent = createHash("sha256");
    const got = createHash("sha256");
    let bytes = 0;
    s.on("data", (c) => {
      got.update(c);
      bytes += c.length;
    });
    const done = new Promise((r) => s.once("end", r));
    for (let i = 0; i < 1024; i++) {
      const c = Buffer.from(chunk);
      c.writeUInt32BE(i, 0);
      sent.update(c);
      if (!s.write(c)) await new Promise((r) => s.once("drain", r));
    }
    s.end();
    await done;
    assert.equal(bytes, 1 << 30);
    assert.equal(got.digest("hex"), sent.digest("hex"));
  });

  test("the client's FIN reaches the upstream while the upstream keeps sending", async () => {
    const s = await connectTo({ path: UNIX.path });
    const reply = readAll(s);
    s.end("MODE:reply-after-fin\nrequest");
    assert.equal((await reply).toString(), "reply after your FIN");
  });

  test("the upstream's FIN reaches the client while the client keeps sending", async () => {
    const s = await connectTo(V4);
    s.write("MODE:fin-first\n");
    const fromUpstream = await readAll(s);
    assert.equal(fromUpstream.toString(), "goodbye");
    s.write("still ");
    s.end("talking");
    await closed(s);
    for (let i = 0; i < 100 && !upstreamReports.includes("still talking"); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.ok(upstreamReports.includes("still talking"), JSON.stringify(upstreamReports));
  });

  test("30 s without a byte closes both sides (listener v4)", { timeout: 45_000 }, async () => {
    const s = await connectTo(V4);
    s.write("ping");
    await readBytes(s, 4);
    const t0 = Date.now();
    // weir closes its side: the client sees the end of the stream (its own side is half-open by choice).
    await new Promise((resolve) => {
      s.once("end", resolve);
      s.once("close", resolve);
      s.resume();
    });
    const idle = Date.now() - t0;
    assert.ok(idle >= 29_000 && idle < 33_000, `closed after ${idle} ms`);
  });
});
