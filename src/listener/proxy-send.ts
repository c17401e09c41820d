// The PROXY header an upstream with `proxy_protocol` sends first on every connection it opens for a client
// connection: the client's address and port as source, the address the client connected to as destination
// (both as weir believes them, after any PROXY header it received itself). v2 adds, where known, the ALPN
// and AUTHORITY a PROXY header in front of weir carried, or else those weir's own TLS termination saw
// (the negotiated ALPN and the SNI, as HAProxy's `proxy-v2-options alpn,authority` send them), and a
// UNIQUE_ID: the one received, or a UUID made for this connection, so a request can be followed through
// every hop.
// Built once per client connection and version, then reused by every upstream connection opened for it.
import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import {
  buildProxyHeaderV1,
  buildProxyHeaderV2,
  type InetEndpoint,
  type ProxyHeaderV2Input,
} from "../protocol/proxy-header/index.ts";
import type { ConnectionContext } from "./connection.ts";

export type ProxyVersionOut = "v1" | "v2";

export interface OutgoingProxyHeader {
  readonly bytes: Buffer;
  /** The bytes as a string: what HTTP pools are keyed by, so that no two clients share a connection. */
  readonly key: string;
}

const built = new WeakMap<ConnectionContext, { v1?: OutgoingProxyHeader; v2?: OutgoingProxyHeader }>();

/** The header for upstream connections opened on behalf of `ctx`. Never throws. */
export function proxyHeaderFor(version: ProxyVersionOut, ctx: ConnectionContext): OutgoingProxyHeader {
  let cache = built.get(ctx);
  if (cache === undefined) {
    cache = {};
    built.set(ctx, cache);
  }
  let header = cache[version];
  if (header === undefined) {
    const bytes = build(version, ctx);
    header = { bytes, key: bytes.toString("latin1") };
    cache[version] = header;
  }
  return header;
}

/**
 * The header of connections weir opens for itself, on behalf of no client (health checks): v2 LOCAL,
 * v1 "PROXY UNKNOWN"; the receiver then uses the connection's own addresses (proxy-protocol.txt §2.1, §2.2).
 */
export function localProxyHeader(version: ProxyVersionOut): Buffer {
  return version === "v1"
    ? buildProxyHeaderV1({ command: "local" })
    : buildProxyHeaderV2({ command: "local" });
}

function inet(address: string, port: number): InetEndpoint | undefined {
  return isIP(address) === 0 ? undefined : { address, port };
}

function build(version: ProxyVersionOut, ctx: ConnectionContext): Buffer {
  // A Unix socket client has no address to pass on: the header then says UNKNOWN (v1) / AF_UNSPEC (v2).
  const source = inet(ctx.clientAddress, ctx.clientPort);
  const destination = inet(ctx.localAddress, ctx.localPort);
  const addresses = source !== undefined && destination !== undefined ? { source, destination } : {};
  try {
    if (version === "v1") return buildProxyHeaderV1({ command: "proxy", ...addresses });
    const received = ctx.proxyHeader;
    const input: ProxyHeaderV2Input = {
      command: "proxy",
      ...addresses,
      uniqueId: received?.uniqueId ?? Buffer.from(randomUUID(), "latin1"),
    };
    const alpn = received?.alpn ?? ctx.tls?.alpn;
    const authority = received?.authority ?? ctx.tls?.serverName ?? ctx.passthroughServerName;
    if (alpn !== undefined) input.alpn = alpn;
    if (authority !== undefined) input.authority = authority;
    return buildProxyHeaderV2(input);
  } catch {
    // Only reachable with addresses the codec refuses; the upstream then uses the connection's own.
    return version === "v1"
      ? buildProxyHeaderV1({ command: "proxy" })
      : buildProxyHeaderV2({ command: "proxy" });
  }
}
