import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { type TestContext, test } from "node:test";
import { connectUpstream } from "./connect.ts";
import { openTunnel, type TunnelStats } from "./tunnel.ts";

/** client ──▶ proxy ══ tunnel ══▶ upstream server, where the proxy lets `before` run on the accepted socket first. */
async function rig(
  t: TestContext,
  before: (accepted: net.Socket, client: net.Socket) => Promise<void> = async () => {},
) {
  const upstreamServer = net.createServer({ allowHalfOpen: true });
  const proxy = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  t.after(() => {
    upstreamServer.close();
    proxy.close();
  });
  upstreamServer.listen(0, "127.0.0.1");
  proxy.listen(0, "127.0.0.1");
  await Promise.all([once(upstreamServer, "listening"), once(proxy, "listening")]);
  const { port: upstreamPort } = upstreamServer.address() as net.AddressInfo;
  const { promise: closed, resolve } = Promise.withResolvers<TunnelStats>();
  const accepted = once(proxy, "connection").then(([s]) => s as net.Socket);
  const client = net.connect({
    port: (proxy.address() as net.AddressInfo).port,
    host: "127.0.0.1",
    allowHalfOpen: true,
  });
  t.after(() => client.destroy());
  const original = await accepted;
  await before(original, client);
  const upstreamAccepted = once(upstreamServer, "connection");
  const up = await connectUpstream({ host: "127.0.0.1", port: upstreamPort }, { timeoutMs: 2000 });
  const [upstream] = (await upstreamAccepted) as [net.Socket];
  t.after(() => upstream.destroy());
  const tunnel = openTunnel(original, up, { idleTimeoutMs: 5000, onClose: resolve });
  return { client, upstream, original, tunnel, closed };
}

test("plain TCP sockets are replaced by sockets reading into fixed buffers; the originals close with the tunnel", async (t) => {
  const { client, upstream, original, tunnel, closed } = await rig(t);
  assert.notEqual(tunnel.client, original, "the accepted socket was adopted");
  client.write("ping");
  const [got] = await once(upstream, "data");
  assert.equal(String(got), "ping");
  assert.equal(original.destroyed, false, "the original stays open while the tunnel lives");
  client.end();
  upstream.end();
  const stats = await closed;
  assert.equal(stats.closeReason, "done");
  assert.equal(stats.bytesFromClient, 4);
  await once(original, "close");
});

test("bytes the original had read before the tunnel opened go first, in order", async (t) => {
  const { client, upstream, original, tunnel, closed } = await rig(t, async (accepted, peer) => {
    // Let the accepted socket read "first" into its own buffer, and leave it unconsumed there.
    accepted.resume();
    accepted.pause();
    peer.write("first,");
    while (accepted.readableLength === 0) await new Promise((r) => setTimeout(r, 5));
  });
  assert.notEqual(tunnel.client, original);
  client.end("second");
  const chunks: Buffer[] = [];
  upstream.on("data", (c: Buffer) => chunks.push(c));
  await once(upstream, "end");
  assert.equal(Buffer.concat(chunks).toString(), "first,second");
  upstream.end();
  assert.equal((await closed).bytesFromClient, 12);
});

test("destroying the original (graceful shutdown) closes the tunnel", async (t) => {
  const { upstream, original, closed } = await rig(t);
  original.destroy();
  const stats = await closed;
  assert.equal(stats.closeReason, "aborted");
  // The upstream's connection is gone too (its server allows half-open sockets: it sees the FIN).
  upstream.resume();
  await once(upstream, "end");
});
