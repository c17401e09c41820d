// Reads the PROXY protocol header (v1, v2 or either, per `proxy_protocol`) that starts every connection of
// the listener, and makes its source the connection's client address. Contract:
// - bytes are fed to the incremental codec as they arrive; the header must be complete within
//   `proxy_protocol_timeout` and within its version's size limit (the codec says when it is over);
// - whatever followed the header in the same reads is unshifted back into the socket's buffer, so the
//   next step or the protocol handler, attached synchronously by `done`, sees the client's bytes from
//   their first one (the socket is not paused: node:http and detection attach 'data' listeners);
// - PROXY with IPv4/IPv6 addresses: client and local address/port come from the header; LOCAL
//   (the balancer's own health checks), UNKNOWN/AF_UNSPEC and AF_UNIX keep the socket's own addresses;
// - the parsed header stays on ctx.proxyHeader (TLVs for filters);
// - malformed, truncated (peer gone first), oversized or late: the connection is closed, with one log line
//   and weir_proxy_header_failures_total{listener,code}. Nothing here throws.
import type { ListenerConfig } from "../../config/schema/index.ts";
import type { Generation } from "../../generation.ts";
import { type ParseResult, type ProxyHeader, parseProxyHeader } from "../../protocol/proxy-header/index.ts";
import type { ConnectionContext } from "../connection.ts";
import { proxyHeaderFailures } from "../proxy-metrics.ts";
import type { HandshakeStep } from "./index.ts";

/** Failure codes of the reader itself, beside the codec's ProxyHeaderErrorCode values. */
export const ProxyReadFailure = {
  /** No complete header within proxy_protocol_timeout. */
  TIMEOUT: "PROXY_TIMEOUT",
  /** The peer closed (or the socket failed) before the header was complete. */
  TRUNCATED: "PROXY_TRUNCATED",
} as const;

export function proxyHeaderStep(gen: Generation, config: ListenerConfig): HandshakeStep {
  const allow = config.proxy_protocol ?? "any";
  const timeoutMs = config.proxy_protocol_timeout;
  const options = { allow } as const;
  const failures = proxyHeaderFailures(gen);

  return {
    name: "proxy_protocol",
    run(socket, ctx, done) {
      let received: Buffer | undefined;
      /** Stops reading; `rest` (client bytes after the header) is put back only once nobody listens,
       * so it waits in the socket's buffer for the listener the next step attaches. */
      const finish = (ok: boolean, rest?: Buffer): void => {
        clearTimeout(timer);
        socket.off("data", onData);
        socket.off("end", onEnd);
        socket.off("error", onError);
        if (rest !== undefined && rest.length > 0) socket.unshift(rest);
        done(ok);
      };
      const fail = (code: string, message: string): void => {
        failures.inc({ listener: ctx.listener, code });
        const bytes = received?.length ?? 0;
        // A peer that connects and leaves without a byte (a port check) is not worth a warning.
        const level = bytes === 0 && code === ProxyReadFailure.TRUNCATED ? "info" : "warn";
        gen.log[level](
          { listener: ctx.listener, conn: ctx.id, peer: ctx.clientAddress, code, bytes },
          `connection closed: ${message}`,
        );
        finish(false);
      };
      const onData = (chunk: Buffer): void => {
        received = received === undefined ? chunk : Buffer.concat([received, chunk]);
        const result: ParseResult = parseProxyHeader(received, options);
        if (result.kind === "incomplete") return;
        if (result.kind === "error") {
          fail(result.code, `bad PROXY header: ${result.message}`);
          return;
        }
        let header = result.header;
        // The header's TLV values are views into `received`; keep only the header's bytes alive for
        // the connection's lifetime, not the whole read that also carried client data.
        if (header.tlvs.length > 0 && received.length > result.length) {
          header = reparse(received.subarray(0, result.length), options, header);
        }
        applyHeader(ctx, header);
        finish(true, received.subarray(result.length));
      };
      const onEnd = (): void => fail(ProxyReadFailure.TRUNCATED, "peer closed before the PROXY header ended");
      const onError = (): void =>
        fail(ProxyReadFailure.TRUNCATED, "socket failed before the PROXY header ended");
      const timer = setTimeout(
        () => fail(ProxyReadFailure.TIMEOUT, `no complete PROXY header within ${timeoutMs} ms`),
        timeoutMs,
      );
      socket.on("data", onData);
      socket.once("end", onEnd);
      socket.once("error", onError);
    },
  };
}

/** The same header parsed from a private copy of its bytes. */
function reparse(bytes: Buffer, options: { allow: "v1" | "v2" | "any" }, fallback: ProxyHeader): ProxyHeader {
  const again = parseProxyHeader(Buffer.from(bytes), options);
  return again.kind === "header" ? again.header : fallback;
}

/** proxy-protocol.txt §2.1/§2.2: only PROXY over IPv4/IPv6 replaces the socket's endpoints. */
export function applyHeader(ctx: ConnectionContext, header: ProxyHeader): void {
  ctx.proxyHeader = header;
  if (header.command !== "proxy") return;
  if (header.family !== "ipv4" && header.family !== "ipv6") return;
  ctx.clientAddress = header.source.address;
  ctx.clientPort = header.source.port;
  ctx.localAddress = header.destination.address;
  ctx.localPort = header.destination.port;
}
