/**
 * Turns the source and destination a builder was given into one address family and raw bytes.
 *
 * - An IPv4-mapped IPv6 address (::ffff:a.b.c.d, as Node reports IPv4 peers on dual-stack sockets) is
 *   treated as the IPv4 address it carries.
 * - If both are then IPv4, the pair is IPv4; if both are IPv6, IPv6.
 * - Mixed IPv4/IPv6: the spec has no rule; like HAProxy's senders, the IPv4 one is written as its
 *   IPv4-mapped IPv6 form and the pair is IPv6, so no address is lost.
 */
import { ProxyHeaderBuildError, ProxyHeaderErrorCode } from "./errors.ts";
import { isIPv4Mapped, parseIPv4Bytes, parseIPv6Bytes } from "./ip-address.ts";
import type { InetEndpoint } from "./types.ts";

export interface InetPair {
  family: "ipv4" | "ipv6";
  /** 4 or 16 bytes each. */
  source: Uint8Array;
  destination: Uint8Array;
  sourcePort: number;
  destinationPort: number;
}

/** 16 bytes (IPv6) or 4 bytes (IPv4, mapped IPv6 unwrapped), or throws BAD_ADDRESS. */
function addressBytes(address: unknown, role: string): Uint8Array {
  if (typeof address !== "string" || address.length > 45) {
    throw new ProxyHeaderBuildError(ProxyHeaderErrorCode.BAD_ADDRESS, `${role} address is not an IP address`);
  }
  // utf8, not latin1: a non-ASCII character must not alias an ASCII digit.
  const text = Buffer.from(address, "utf8");
  const v4 = new Uint8Array(4);
  if (parseIPv4Bytes(text, 0, text.length, v4, 0)) return v4;
  const v6 = new Uint8Array(16);
  if (parseIPv6Bytes(text, 0, text.length, v6, 0)) return isIPv4Mapped(v6, 0) ? v6.subarray(12) : v6;
  throw new ProxyHeaderBuildError(
    ProxyHeaderErrorCode.BAD_ADDRESS,
    `${role} address ${address} is not valid`,
  );
}

function checkPort(port: unknown, role: string): number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new ProxyHeaderBuildError(
      ProxyHeaderErrorCode.BAD_PORT,
      `${role} port ${String(port)} is not in [0, 65535]`,
    );
  }
  return port;
}

function toIPv6(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 16) return bytes;
  const mapped = new Uint8Array(16);
  mapped[10] = 0xff;
  mapped[11] = 0xff;
  mapped.set(bytes, 12);
  return mapped;
}

export function resolveInetPair(source: InetEndpoint, destination: InetEndpoint): InetPair {
  let src = addressBytes(source.address, "source");
  let dst = addressBytes(destination.address, "destination");
  const sourcePort = checkPort(source.port, "source");
  const destinationPort = checkPort(destination.port, "destination");
  if (src.length === 4 && dst.length === 4) {
    return { family: "ipv4", source: src, destination: dst, sourcePort, destinationPort };
  }
  src = toIPv6(src);
  dst = toIPv6(dst);
  return { family: "ipv6", source: src, destination: dst, sourcePort, destinationPort };
}
