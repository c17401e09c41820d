// The worker's side of ACME: the latest snapshot from the supervisor, and what the listeners ask of it.
// - TLS listeners with `tls.acme`: `acmeContextFor(serverName, build)`, a secure context for an ACME
//   certificate, built by the caller's `build` (its policy) once per certificate and cached.
// - TLS listeners: `answerTlsAlpn01(socket, serverName, alpn)` takes over a handshake that offers
//   "acme-tls/1" (RFC 8737).
// - HTTP listeners: `acmeHttp01Filter`, first in the request phases, answers the HTTP-01 tokens weir is
//   waiting on before any routing or filter; other /.well-known/acme-challenge/ paths go on as usual.
// A new snapshot replaces the whole state in one assignment: a handshake either sees the old
// certificate or the new one, never none.
import type { Socket } from "node:net";
import { Duplex } from "node:stream";
import { createSecureContext, type SecureContext, TLSSocket } from "node:tls";
import type { HttpFilter } from "../http/phases.ts";
import type { RequestContext } from "../http/request-context.ts";
import type { AcmeApplied, AcmeMessage, AcmeSnapshot, SnapshotCertificate } from "./snapshot.ts";

interface Served {
  readonly seq: number;
  readonly exact: ReadonlyMap<string, SnapshotCertificate>;
  /** "*.b.test" certificates by "b.test". */
  readonly wildcard: ReadonlyMap<string, SnapshotCertificate>;
  readonly http01: ReadonlyMap<string, string>;
  readonly alpn: ReadonlyMap<string, SecureContext>;
}

let served: Served = {
  seq: 0,
  exact: new Map(),
  wildcard: new Map(),
  http01: new Map(),
  alpn: new Map(),
};

/** Builds a secure context for a certificate under the caller's TLS policy. */
export type ContextBuilder = (cert: { cert: string; key: string }) => SecureContext;

const contexts = new WeakMap<SnapshotCertificate, WeakMap<ContextBuilder, SecureContext | null>>();

/** Installs a snapshot (newer than the current one). Returns false for a stale or malformed one. */
export function applyAcmeSnapshot(snapshot: AcmeSnapshot): boolean {
  if (snapshot.seq < served.seq) return false;
  const exact = new Map<string, SnapshotCertificate>();
  const wildcard = new Map<string, SnapshotCertificate>();
  for (const c of snapshot.certificates) {
    for (const name of c.names) {
      if (name.startsWith("*.")) wildcard.set(name.slice(2), c);
      else exact.set(name, c);
    }
  }
  const alpn = new Map<string, SecureContext>();
  for (const a of snapshot.alpn) {
    try {
      alpn.set(a.name, createSecureContext({ cert: a.cert, key: a.key, minVersion: "TLSv1.2" }));
    } catch {
      // A certificate OpenSSL refuses cannot be presented; the CA's validation of it fails and says so.
    }
  }
  served = { seq: snapshot.seq, exact, wildcard, http01: new Map(Object.entries(snapshot.http01)), alpn };
  return true;
}

/** The worker's IPC handler: apply, then acknowledge `seq` so the supervisor may go on. */
export function onAcmeMessage(message: AcmeMessage, reply: (m: AcmeApplied) => void): void {
  applyAcmeSnapshot(message.snapshot);
  reply({ type: "acme-applied", seq: message.snapshot.seq });
}

export function acmeSnapshotSeq(): number {
  return served.seq;
}

/** The ACME certificate for a server name (exact, then a one-label wildcard), if one is served. */
export function acmeCertificateFor(serverName: string | undefined): SnapshotCertificate | undefined {
  if (serverName === undefined) return undefined;
  const s = served;
  const exact = s.exact.get(serverName);
  if (exact !== undefined) return exact;
  const dot = serverName.indexOf(".");
  return dot > 0 ? s.wildcard.get(serverName.slice(dot + 1)) : undefined;
}

/**
 * The secure context for `serverName` from its ACME certificate, made by `build` once per certificate
 * and builder; undefined when no ACME certificate has the name or `build` threw.
 */
export function acmeContextFor(
  serverName: string | undefined,
  build: ContextBuilder,
): SecureContext | undefined {
  const cert = acmeCertificateFor(serverName);
  if (cert === undefined) return undefined;
  let byBuilder = contexts.get(cert);
  if (byBuilder === undefined) {
    byBuilder = new WeakMap();
    contexts.set(cert, byBuilder);
  }
  let ctx = byBuilder.get(build);
  if (ctx === undefined) {
    try {
      ctx = build({ cert: cert.chain, key: cert.key });
    } catch {
      ctx = null;
    }
    byBuilder.set(build, ctx);
  }
  return ctx ?? undefined;
}

/** RFC 8737 §6.2: the ALPN protocol id of TLS-ALPN-01. */
export const ACME_TLS_ALPN = "acme-tls/1";

/**
 * Takes over a connection whose ClientHello offers "acme-tls/1": completes the handshake with the
 * challenge certificate for `serverName` and closes (RFC 8737 §3), or closes at once when weir has no
 * challenge for that name. `hello` holds the ClientHello bytes already read from `socket` (undefined
 * when they are still readable on it). Returns false, touching nothing, for any other ClientHello.
 */
export function answerTlsAlpn01(
  socket: Socket,
  serverName: string | undefined,
  alpn: readonly string[] | undefined,
  hello?: Buffer,
): boolean {
  if (alpn === undefined || !alpn.includes(ACME_TLS_ALPN)) return false;
  const ctx = serverName === undefined ? undefined : served.alpn.get(serverName);
  if (ctx === undefined) {
    socket.destroy();
    return true;
  }
  const tls = new TLSSocket(bytesOf(socket, hello), {
    isServer: true,
    secureContext: ctx,
    ALPNProtocols: [ACME_TLS_ALPN],
  });
  const timer = setTimeout(() => tls.destroy(), 10_000);
  tls.once("secure", () => {
    clearTimeout(timer);
    tls.end();
  });
  tls.on("error", () => {
    clearTimeout(timer);
    tls.destroy();
  });
  tls.once("close", () => {
    clearTimeout(timer);
    socket.destroy();
  });
  return true;
}

/**
 * The socket as a plain Duplex: TLSSocket reads a net.Socket's handle directly and would miss bytes
 * unshifted back into its JS buffer (the ClientHello); through a Duplex it gets them (challenges only,
 * so the extra copy does not matter).
 */
function bytesOf(socket: Socket, head: Buffer | undefined): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  if (head !== undefined) duplex.push(head);
  socket.on("data", (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.once("end", () => duplex.push(null));
  socket.once("close", () => duplex.destroy());
  socket.on("error", () => duplex.destroy());
  return duplex;
}

const CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

/** The key authorization for an HTTP-01 request path, if weir is waiting on that token. */
export function http01Answer(path: string): string | undefined {
  if (!path.startsWith(CHALLENGE_PREFIX)) return undefined;
  const s = served;
  if (s.http01.size === 0) return undefined;
  const q = path.indexOf("?");
  return s.http01.get(path.slice(CHALLENGE_PREFIX.length, q < 0 ? undefined : q));
}

/** requestArrival, before routing: RFC 8555 §8.3's answer, for tokens weir is waiting on only. */
export const acmeHttp01Filter: HttpFilter = {
  name: "acme-http-01",
  requestArrival(ctx: RequestContext) {
    if (ctx.method !== "GET" && ctx.method !== "HEAD") return undefined;
    const answer = http01Answer(ctx.path);
    if (answer === undefined) return undefined;
    return { status: 200, headers: { "content-type": "application/octet-stream" }, body: answer };
  },
};
