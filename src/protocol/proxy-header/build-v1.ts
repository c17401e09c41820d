/**
 * Builds a PROXY v1 line (proxy-protocol.txt §2.1). v1 can only say TCP over IPv4 or IPv6; everything
 * else (LOCAL, UNIX sockets, datagrams, missing addresses) is sent as "PROXY UNKNOWN\r\n", which the
 * receiver answers by using the real connection's endpoints. Address families are resolved as described
 * in endpoint-pair.ts (mapped IPv6 unwrapped; mixed pairs sent as TCP6).
 * Throws ProxyHeaderBuildError (BAD_ADDRESS, BAD_PORT) on addresses or ports it cannot encode.
 */
import { resolveInetPair } from "./endpoint-pair.ts";
import { formatIPv4, formatIPv6 } from "./ip-address.ts";
import type { InetEndpoint, UnixEndpoint } from "./types.ts";

export interface ProxyHeaderV1Input {
  command?: "proxy" | "local";
  transport?: "stream" | "dgram" | "unspec";
  source?: InetEndpoint | UnixEndpoint;
  destination?: InetEndpoint | UnixEndpoint;
}

const UNKNOWN_LINE = "PROXY UNKNOWN\r\n";

function isInet(e: InetEndpoint | UnixEndpoint | undefined): e is InetEndpoint {
  return e !== undefined && "address" in e;
}

export function buildProxyHeaderV1(h: ProxyHeaderV1Input): Buffer {
  const { source, destination } = h;
  if (h.command === "local" || (h.transport !== undefined && h.transport !== "stream")) {
    return Buffer.from(UNKNOWN_LINE, "latin1");
  }
  if (!isInet(source) || !isInet(destination)) return Buffer.from(UNKNOWN_LINE, "latin1");
  const pair = resolveInetPair(source, destination);
  const format = pair.family === "ipv4" ? formatIPv4 : formatIPv6;
  const line =
    `PROXY ${pair.family === "ipv4" ? "TCP4" : "TCP6"} ${format(pair.source, 0)} ${format(pair.destination, 0)} ` +
    `${pair.sourcePort} ${pair.destinationPort}\r\n`;
  return Buffer.from(line, "latin1");
}
