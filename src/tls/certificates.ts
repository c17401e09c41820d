// Certificate files as the SNI table needs them: the PEM chain and key, the DNS names of the leaf's
// subjectAltName (RFC 6125 §6.4: SAN, not the subject CN, names the server), checked once when read so
// that a broken file is refused before it could replace a working one. Files are read through
// handed-files.ts: from disk in the supervisor (or one process), as handed bytes in a worker.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readTlsFile, tlsFilesStamp } from "./handed-files.ts";

export interface LoadedCertificate {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Lower-case DNS names of the SAN, exact ("a.test") and wildcard ("*.b.test"). */
  readonly names: readonly string[];
  readonly subject: string;
  readonly validTo: string;
  /** The leaf's serial number (hex): which certificate a reload swapped in, in its log line. */
  readonly serial: string;
  /** tlsFilesStamp of both files when read, to notice a change. */
  readonly stamp: string;
}

/** A certificate or key file that cannot serve; `message` names the file and the cause. */
export class CertificateError extends Error {
  readonly code = "WEIR_TLS_CERTIFICATE";
  constructor(message: string) {
    super(message);
    this.name = "CertificateError";
  }
}

/** Reads and checks one certificate; throws CertificateError. */
export function loadCertificate(certPath: string, keyPath: string): LoadedCertificate {
  const stamp = tlsFilesStamp(certPath, keyPath) ?? "";
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readTlsFile(certPath);
    key = readTlsFile(keyPath);
  } catch (err) {
    throw new CertificateError(`cannot read certificate: ${(err as Error).message}`);
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new CertificateError(`${certPath}: not a PEM certificate (${(err as Error).message})`);
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(key)))
      throw new CertificateError(`${keyPath}: this key does not belong to the certificate ${certPath}`);
  } catch (err) {
    if (err instanceof CertificateError) throw err;
    throw new CertificateError(`${keyPath}: not a PEM private key (${(err as Error).message})`);
  }
  const names = sanDnsNames(leaf.subjectAltName);
  if (names.length === 0)
    throw new CertificateError(`${certPath}: the certificate has no DNS name in its subjectAltName`);
  return Object.freeze({
    certPath,
    keyPath,
    cert,
    key,
    names: Object.freeze(names),
    subject: leaf.subject.replaceAll("\n", ", "),
    validTo: leaf.validTo,
    serial: leaf.serialNumber,
    stamp,
  });
}

/** Reads a CA bundle and checks that it starts with a PEM certificate; throws CertificateError. */
export function loadCaBundle(what: string, path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readTlsFile(path);
  } catch (err) {
    throw new CertificateError(`cannot read ${what}: ${(err as Error).message}`);
  }
  try {
    new X509Certificate(bytes);
  } catch (err) {
    throw new CertificateError(`${path}: not a PEM certificate bundle (${(err as Error).message})`);
  }
  return bytes;
}

/**
 * Checks a client certificate and its key (upstream mTLS), read already; throws CertificateError. A
 * client certificate needs no DNS name, so loadCertificate's SAN rule does not apply.
 */
export function checkClientPair(certPath: string, cert: Buffer, keyPath: string, key: Buffer): void {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new CertificateError(`${certPath}: not a PEM certificate (${(err as Error).message})`);
  }
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new CertificateError(`${keyPath}: not a PEM private key (${(err as Error).message})`);
  }
  if (!matches)
    throw new CertificateError(`${keyPath}: this key does not belong to the certificate ${certPath}`);
}

/** DNS entries of X509Certificate#subjectAltName ('DNS:a.test, DNS:*.b.test, IP Address:...'). */
export function sanDnsNames(san: string | undefined): string[] {
  if (san === undefined) return [];
  const names: string[] = [];
  for (const part of san.split(", ")) {
    if (!part.startsWith("DNS:")) continue;
    let name = part.slice(4).trim().toLowerCase();
    // Quoted entries (names with unusual characters) are JSON strings in Node's output.
    if (name.startsWith('"')) {
      try {
        name = JSON.parse(name) as string;
      } catch {
        continue;
      }
    }
    if (name.endsWith(".")) name = name.slice(0, -1);
    if (name.length > 0 && !names.includes(name)) names.push(name);
  }
  return names;
}
