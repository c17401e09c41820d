// undici connectors for upstreams with `proxy_protocol`: every connection a pool opens writes its PROXY
// header before anything else, the TLS handshake included (proxy-protocol.txt §2: the header precedes
// the protocol it is in front of). The header is written once the TCP connection is up, before undici
// sees the socket, so no request byte can go first.
import type { Socket } from "node:net";
import { buildConnector } from "undici";

export interface ProxyConnectorOptions {
  /** The PROXY header of every connection this connector opens. */
  header: Buffer;
  timeoutMs: number;
  /** Cleartext HTTP/2 by prior knowledge (`h2 = true` without TLS). */
  h2c: boolean;
  /** The upstream's TLS connector, run over the TCP connection once the header is on it. */
  tls?: buildConnector.connector;
}

export function proxyHeaderConnector(opts: ProxyConnectorOptions): buildConnector.connector {
  const { header, tls } = opts;
  const tcp = buildConnector({
    timeout: opts.timeoutMs,
    ...(opts.h2c && tls === undefined ? { useH2c: true } : {}),
  });
  return (options, callback) => {
    // Undici asks for "https:" when the pool's origin is TLS; the first hop is always plain TCP.
    tcp({ ...options, protocol: "http:", httpSocket: undefined }, (err, socket) => {
      if (err !== null) return callback(err, null);
      socket.write(header);
      if (tls === undefined) return callback(null, socket);
      tls({ ...options, httpSocket: socket as Socket }, callback);
    });
  };
}
