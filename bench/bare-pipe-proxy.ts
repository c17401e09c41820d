// The floor every Node proxy is measured against: socket.pipe() both ways, nothing else.
// Usage: node bench/bare-pipe-proxy.ts LISTEN_PORT UPSTREAM_PORT
import net from "node:net";

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
net
  .createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ port: upstreamPort, host: "127.0.0.1", allowHalfOpen: true });
    client.pipe(upstream).on("error", () => client.destroy());
    upstream.pipe(client).on("error", () => upstream.destroy());
  })
  .listen(listenPort, "127.0.0.1");
