// TLS to upstream endpoints: what undici's connector (and tls.connect) needs for an upstream with a
// `tls` table. Verification is on unless `insecure_skip_verify`, against the system CAs or the given
// bundle; SNI is `server_name` or the endpoint's host when that is a name (RFC 6066 §3: never an IP
// address), whatever Host the request carries; the certificate must match that same name. Files are
// read once per generation, through handed-files.ts (a worker gets their bytes from the supervisor,
// which read and checked them with `readUpstreamTlsFiles` before forking it). No undici here: raw TCP
// tunnels use this module too, and merely loading undici makes a worker's data path measurably slower
// (see src/upstream/pool/tls-connector.ts).
import { isIP, type Socket } from "node:net";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";
import type { UpstreamTlsConfig } from "../config/schema/tls.ts";
import type { Generation } from "../generation.ts";
import type { Endpoint } from "../upstream/endpoint.ts";
import type { Upstream } from "../upstream/upstream.ts";
import { CertificateError, checkClientPair, loadCaBundle } from "./certificates.ts";
import { readTlsFile } from "./handed-files.ts";

/** tls.connect options shared by every endpoint of one upstream (no servername yet). */
const byUpstream = new WeakMap<Upstream, ConnectionOptions>();

function readPem(upstream: string, key: string, file: string): Buffer {
  try {
    return readTlsFile(file);
  } catch (err) {
    throw new CertificateError(`upstream "${upstream}": cannot read tls.${key}: ${(err as Error).message}`);
  }
}

/**
 * The TLS files of one upstream's `tls` table, read and checked (the CA bundle parses, the client key
 * belongs to its certificate), by path. Throws CertificateError naming the upstream and the file.
 */
export function readUpstreamTlsFiles(name: string, tls: UpstreamTlsConfig): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  try {
    if (tls.ca !== undefined) files.set(tls.ca, loadCaBundle("tls.ca", tls.ca));
  } catch (err) {
    throw new CertificateError(`upstream "${name}": ${(err as Error).message}`);
  }
  if (tls.cert !== undefined && tls.key !== undefined) {
    const cert = readPem(name, "cert", tls.cert);
    const key = readPem(name, "key", tls.key);
    try {
      checkClientPair(tls.cert, cert, tls.key, key);
    } catch (err) {
      throw new CertificateError(`upstream "${name}": ${(err as Error).message}`);
    }
    files.set(tls.cert, cert);
    files.set(tls.key, key);
  }
  return files;
}

/** tls.connect options of a TLS upstream (files read once), or undefined for a plain one. */
export function baseOptions(upstream: Upstream): ConnectionOptions | undefined {
  const tls = upstream.config.tls;
  if (tls === undefined) return undefined;
  let options = byUpstream.get(upstream);
  if (options === undefined) {
    options = { rejectUnauthorized: !tls.insecure_skip_verify };
    if (tls.ca !== undefined) options.ca = readPem(upstream.name, "ca", tls.ca);
    if (tls.cert !== undefined) options.cert = readPem(upstream.name, "cert", tls.cert);
    if (tls.key !== undefined) options.key = readPem(upstream.name, "key", tls.key);
    byUpstream.set(upstream, Object.freeze(options));
  }
  return options;
}

/**
 * Reads every upstream's TLS files and warns about unverified ones, once per generation at start, so
 * that a missing CA file stops the start instead of failing requests. Throws CertificateError.
 */
export function prepareUpstreamTls(gen: Generation): void {
  for (const upstream of gen.upstreams.values()) {
    if (baseOptions(upstream) === undefined) continue;
    if (upstream.config.tls?.insecure_skip_verify)
      gen.log.warn(
        { upstream: upstream.name },
        "TLS to this upstream is NOT verified (insecure_skip_verify = true): anyone on the path can impersonate it",
      );
  }
}

/**
 * For raw TCP tunnels to a TLS upstream: the TLS session over the already connected `socket` (which may
 * have carried a PROXY header in clear first, as HAProxy sends it), verified like the HTTP pools' one.
 * Resolves once the handshake is done; rejects with the handshake or verification error. Undefined for
 * a plain upstream.
 */
export function wrapUpstreamTls(
  upstream: Upstream,
  endpoint: Endpoint,
  socket: Socket,
  timeoutMs: number,
): Promise<TLSSocket> | undefined {
  const base = baseOptions(upstream);
  if (base === undefined) return undefined;
  const servername =
    upstream.config.tls?.server_name ?? (isIP(endpoint.host) === 0 ? endpoint.host : undefined);
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ ...base, socket, servername, allowHalfOpen: true } as ConnectionOptions);
    const timer = setTimeout(
      () =>
        fail(
          Object.assign(new Error(`TLS handshake with ${endpoint.key} timed out`), {
            code: "WEIR_TLS_TIMEOUT",
          }),
        ),
      timeoutMs,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      secure.destroy();
      socket.destroy();
      reject(err);
    };
    secure.once("error", fail);
    secure.once("secureConnect", () => {
      clearTimeout(timer);
      secure.off("error", fail);
      resolve(secure);
    });
  });
}
