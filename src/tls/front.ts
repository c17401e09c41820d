// The TLS front of a listener: read the ClientHello (weir's parser), then either pass the connection
// through by SNI to an L4 upstream, bytes untouched, or terminate TLS with the certificate for that name
// under the listener's policy and hand the decrypted socket to the next handler (the HTTP engine, which
// serves HTTP/2 when ALPN chose "h2" and the client sends its preface, HTTP/1.1 otherwise; transparent
// listeners give their own, which detects the decrypted stream again).
//
// Every way a connection can fail here is counted in weir_tls_failures_total{listener,reason}, logged
// with the connection's id, and ends with the socket destroyed; nothing throws out of `accept`.
import type { Socket } from "node:net";
import { createSecureContext, type SecureContext, TLSSocket } from "node:tls";
import { acmeContextFor, answerTlsAlpn01, type ContextBuilder } from "../acme/served.ts";
import type { ListenerConfig } from "../config/schema/index.ts";
import type { Generation } from "../generation.ts";
import type { ConnectionContext, ConnectionHandler } from "../listener/connection.ts";
import { proxyTcp } from "../listener/tcp-proxy.ts";
import { CertificateStore } from "./certificate-store.ts";
import { listenerPolicy, setSessionIdContext } from "./context.ts";
import { filesAreHanded } from "./handed-files.ts";
import { readClientHello } from "./hello-reader.ts";
import { type TlsInfo, tlsInfoOf } from "./info.ts";
import { handshakeFailureReason, tlsMetrics } from "./metrics.ts";
import { compilePassthrough } from "./passthrough.ts";
import { ticketKeys } from "./ticket-keys.ts";

export interface TlsFront {
  /**
   * Takes over a connection expected to start with a TLS ClientHello. `head` is what was already read
   * from it (detection on "auto" listeners), or undefined. `hooks` replace the front's defaults for
   * this connection (transparent listeners use both).
   */
  accept(socket: Socket, ctx: ConnectionContext, head?: Buffer, hooks?: AcceptHooks): void;
  /** Re-read certificate files that changed now (tests; the store also polls by itself). */
  refresh(): boolean;
  /** Stop watching certificate files. Connections are the listener's to close. */
  close(): void;
}

/** Takes over a connection, given the bytes already read from it. */
export type PassOn = (socket: Socket, ctx: ConnectionContext, head: Buffer) => void;

export interface AcceptHooks {
  /**
   * Takes a connection whose server name has no certificate (nor passthrough route) instead of the
   * fallback certificate or a refusal, with the ClientHello bytes read so far (transparent listeners pass
   * it through to its original destination).
   */
  noCertificate?: PassOn | undefined;
  /**
   * Takes the decrypted socket instead of the front's `next` handler (transparent listeners detect the
   * decrypted stream again). ctx.tls is set before it is called.
   */
  decrypted?: ConnectionHandler | undefined;
}

/** A ConnectionContext of a terminated connection carries what the handshake decided. */
export type TlsConnectionContext = ConnectionContext & { tls?: TlsInfo };

/** RFC 8446 §6 / RFC 6066 §3: a fatal unrecognized_name(112) alert record, sent before refusing a name. */
const UNRECOGNIZED_NAME_ALERT = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70]);

/** Builds the listener's TLS front; throws CertificateError when a certificate cannot serve. */
export function createTlsFront(
  gen: Generation,
  listener: string,
  config: ListenerConfig,
  next: ConnectionHandler,
): TlsFront {
  const tls = config.tls;
  if (tls === undefined) throw new Error(`listener "${listener}" has no tls table`);
  const metrics = tlsMetrics(gen);
  const policy = listenerPolicy(listener, tls, ticketKeys(listener, tls.session_ticket_key));
  // A worker's store applies what the supervisor read, checked and counted; in one process it counts.
  const store = new CertificateStore(
    listener,
    tls,
    policy,
    gen.log,
    filesAreHanded()
      ? {}
      : {
          reloaded: () => metrics.certificateReloads.inc({ listener, result: "success" }),
          failed: () => metrics.certificateReloads.inc({ listener, result: "failed" }),
        },
  );
  const passthrough = compilePassthrough(gen, listener);
  const alpn = [...tls.alpn];
  const clientAuth = tls.client_auth;
  const helloOptions = { maxBytes: tls.max_hello_size, timeoutMs: tls.handshake_timeout };
  // tls.acme: certificates from the supervisor's ACME engine, under this listener's policy.
  const acmeBuild: ContextBuilder | undefined = tls.acme
    ? (c) => {
        const ctx = createSecureContext({ ...policy.options, cert: c.cert, key: c.key });
        setSessionIdContext(ctx, policy.sessionId);
        return ctx;
      }
    : undefined;

  /** Counts and logs a refused connection; destroys the socket unless `last` bytes must go out first. */
  function refuse(
    socket: Socket,
    ctx: ConnectionContext,
    reason: string,
    message: string,
    last?: Buffer,
  ): void {
    metrics.failures.inc({ listener, reason });
    gen.log.info(
      { listener, conn: ctx.id, client: ctx.clientAddress, reason, err: message },
      "TLS connection refused",
    );
    if (last === undefined) return void socket.destroy();
    socket.on("error", () => socket.destroy());
    socket.end(last, () => socket.destroy());
  }

  function terminate(
    socket: Socket,
    ctx: TlsConnectionContext,
    hello: Buffer,
    serverName: string | undefined,
    secureContext: SecureContext,
    then: ConnectionHandler,
  ): void {
    // The hello goes back in front of the stream; TLSSocket feeds what the socket has buffered to OpenSSL.
    socket.unshift(hello);
    const tlsSocket = new TLSSocket(socket, {
      isServer: true,
      secureContext,
      ALPNProtocols: alpn,
      requestCert: clientAuth !== undefined,
      rejectUnauthorized: clientAuth?.mode === "required",
    });
    // The TCP socket's errors surface on the TLS socket from here on.
    socket.on("error", () => {});
    const fail = (reason: string, message: string): void => {
      clearTimeout(timer);
      tlsSocket.off("error", onError);
      tlsSocket.off("end", onEnd);
      tlsSocket.on("error", () => {});
      tlsSocket.destroy();
      refuse(socket, ctx, reason, message);
    };
    const onError = (err: NodeJS.ErrnoException): void => fail(handshakeFailureReason(err), err.message);
    // A peer that closes before its Finished arrives raises no error on a server TLSSocket: OpenSSL just
    // waits for more handshake bytes. Without this the socket stayed open until handshake_timeout, and a
    // draining listener (a reload, a stop) waited that long or its whole grace period for it.
    const onEnd = (): void => fail("client_closed", "the client closed the connection during the handshake");
    const timer = setTimeout(
      () => fail("handshake_timeout", "handshake not finished in time"),
      Math.max(1, tls!.handshake_timeout - (Date.now() - ctx.acceptedAt)),
    );
    tlsSocket.once("error", onError);
    tlsSocket.once("end", onEnd);
    tlsSocket.once("secure", () => {
      // What tls.Server does for its sockets (onServerSocketSecure), done here for one built without a Server:
      // node:http2 waits for a TLS socket until `secureConnecting` is false.
      (tlsSocket as unknown as { secureConnecting: boolean }).secureConnecting = false;
      let verified = false;
      if (clientAuth !== undefined) {
        // The chain was checked against client_auth.ca during the handshake; OpenSSL keeps the verdict.
        const handle = (tlsSocket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
        const verifyError = handle?.verifyError?.() ?? null;
        const sent = tlsSocket.getPeerX509Certificate() !== undefined;
        if (sent && verifyError !== null) return fail("client_cert_invalid", verifyError.message);
        if (!sent && clientAuth.mode === "required")
          return fail("client_cert_missing", "no client certificate");
        verified = sent;
        tlsSocket.authorized = verified;
      }
      clearTimeout(timer);
      tlsSocket.off("error", onError);
      tlsSocket.off("end", onEnd);
      const info = tlsInfoOf(tlsSocket, serverName, verified);
      ctx.tls = info;
      metrics.handshakes.inc({ listener, version: info.version, resumed: info.resumed ? "yes" : "no" });
      gen.log.debug(
        {
          listener,
          conn: ctx.id,
          sni: serverName,
          tls: info.version,
          cipher: info.cipher,
          alpn: info.alpn,
          resumed: info.resumed,
          client_subject: info.clientSubject,
        },
        "TLS established",
      );
      then(tlsSocket as unknown as Socket, ctx);
    });
  }

  function accept(socket: Socket, ctx: TlsConnectionContext, head?: Buffer, hooks?: AcceptHooks): void {
    const noCertificate = hooks?.noCertificate;
    readClientHello(socket, head, helloOptions, (outcome) => {
      if (outcome.kind === "failed") return refuse(socket, ctx, outcome.reason, outcome.message);
      const serverName = outcome.hello.serverName;
      const route = passthrough?.lookup(serverName);
      if (route !== undefined) {
        metrics.passthrough.inc({ listener, route: route.label });
        gen.log.debug({ listener, conn: ctx.id, sni: serverName, route: route.label }, "TLS passthrough");
        ctx.passthroughServerName = serverName;
        proxyTcp(gen, route.upstream, socket, ctx, {
          idleTimeoutMs: config.idle_timeout,
          head: outcome.bytes,
        });
        return;
      }
      if (acmeBuild && answerTlsAlpn01(socket, serverName, outcome.hello.alpn, outcome.bytes)) return;
      const set = store.current;
      let secureContext =
        (acmeBuild && acmeContextFor(serverName, acmeBuild)) ?? set.byName.lookup(serverName);
      if (secureContext === undefined && noCertificate !== undefined) {
        gen.log.debug(
          { listener, conn: ctx.id, sni: serverName },
          "TLS without a certificate here: passed on",
        );
        return noCertificate(socket, ctx, outcome.bytes);
      }
      if (secureContext === undefined) {
        // Without certificate files (acme only), an unknown name has no default to fall back on.
        if (tls!.unknown_sni === "refuse" || set.fallback === undefined) {
          const name = serverName ?? "(no SNI)";
          return refuse(socket, ctx, "unknown_sni", `no certificate for "${name}"`, UNRECOGNIZED_NAME_ALERT);
        }
        secureContext = set.fallback;
      }
      terminate(socket, ctx, outcome.bytes, serverName, secureContext, hooks?.decrypted ?? next);
    });
  }

  return { accept, refresh: () => store.refresh(), close: () => store.close() };
}
