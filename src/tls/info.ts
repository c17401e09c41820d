// What a terminated TLS connection tells logs and filters, set on the ConnectionContext once the
// handshake is done.
import type { TLSSocket } from "node:tls";

export interface TlsInfo {
  /** Server name the client asked for (SNI), lower case; undefined without SNI. */
  readonly serverName: string | undefined;
  /** "TLSv1.2" or "TLSv1.3". */
  readonly version: string;
  /** OpenSSL name of the negotiated cipher. */
  readonly cipher: string;
  /** Negotiated ALPN protocol ("h2", "http/1.1"), or undefined. */
  readonly alpn: string | undefined;
  readonly resumed: boolean;
  /** The client certificate's subject ("CN=alice, O=Example"), when one was sent and verified (mTLS). */
  readonly clientSubject: string | undefined;
  /** The client certificate's SHA-256 fingerprint, with `clientSubject`. */
  readonly clientFingerprint: string | undefined;
}

export function tlsInfoOf(
  socket: TLSSocket,
  serverName: string | undefined,
  verifiedClient: boolean,
): TlsInfo {
  const peer = verifiedClient ? socket.getPeerX509Certificate() : undefined;
  return Object.freeze({
    serverName,
    version: socket.getProtocol() ?? "",
    cipher: socket.getCipher()?.name ?? "",
    alpn: typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : undefined,
    resumed: socket.isSessionReused(),
    clientSubject: peer?.subject.replaceAll("\n", ", "),
    clientFingerprint: peer?.fingerprint256,
  });
}
