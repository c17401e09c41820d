import type { Socket } from "node:net";
import { plainAddress } from "../net/address.ts";
import type { OriginalDestination } from "../process/native.ts";
import type { ProxyHeader } from "../protocol/proxy-header/index.ts";
import type { TlsInfo } from "../tls/info.ts";

/** What every handler knows about an accepted connection. The client address is the real client's:
 * the socket's peer, or the one a PROXY header carried. */
export interface ConnectionContext {
  readonly id: number;
  readonly listener: string;
  clientAddress: string;
  clientPort: number;
  /** The address the client connected to: the socket's own, or the PROXY header's destination. */
  localAddress: string;
  localPort: number;
  readonly acceptedAt: number;
  /**
   * The PROXY header this connection started with (listeners with `proxy_protocol`), for filters: its
   * TLVs (alpn, authority, uniqueId, ssl, netns, and every TLV raw in `tlvs`), version and command.
   * Undefined on listeners that read none. Its addresses are already applied to the fields above.
   */
  proxyHeader?: ProxyHeader;
  /**
   * Transparent listeners: where the client meant to go before netfilter redirected it here
   * (SO_ORIGINAL_DST), for routing, filters and the access log. Undefined on other listeners.
   */
  originalDst?: OriginalDestination;
  /**
   * Listeners that terminate TLS: what the handshake decided (SNI, ALPN, version, client certificate),
   * set by src/tls/front.ts before the decrypted stream is handed on. Undefined on cleartext connections
   * and on TLS passed through untouched.
   */
  tls?: TlsInfo;
  /**
   * TLS passed through untouched by SNI: the server name the ClientHello asked for (the session itself
   * stays end to end, so nothing else of it is known). An upstream's PROXY v2 header carries it as
   * AUTHORITY, as it does `tls.serverName` for terminated TLS.
   */
  passthroughServerName?: string;
}

/** Takes over an accepted connection; owns the socket from then on. */
export type ConnectionHandler = (socket: Socket, ctx: ConnectionContext) => void;

let lastId = 0;

export function newConnectionContext(listener: string, socket: Socket): ConnectionContext {
  return {
    id: ++lastId,
    listener,
    // A dual-stack listener sees IPv4 clients as "::ffff:a.b.c.d": logs, filters and headers get one spelling.
    clientAddress: socket.remoteAddress === undefined ? "unix" : plainAddress(socket.remoteAddress),
    clientPort: socket.remotePort ?? 0,
    localAddress: socket.localAddress === undefined ? "unix" : plainAddress(socket.localAddress),
    localPort: socket.localPort ?? 0,
    acceptedAt: Date.now(),
  };
}
