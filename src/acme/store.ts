// The state folder's layout, owned by the supervisor:
//   account.key             the ACME account's private key (PEM), made once
//   account.json            {directory, url}: the account URL the CA gave for that key
//   certificates/<id>.pem   the certificate's private key, then its chain as the CA issued it, in ONE
//                           file so that a single rename replaces both (a reader never pairs a new key
//                           with an old certificate)
//   locks/<id>.lock         held while <id> is being ordered (lock.ts)
// <id> is the certificate's first name, "*" spelled "_wildcard".
import { createPrivateKey, X509Certificate } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { AcmeError } from "./errors.ts";
import { ensurePrivateDir, readIfExists, writeFileAtomic } from "./state-files.ts";

export interface StoredCertificate {
  /** PEM of the private key. */
  readonly key: string;
  /** PEM chain: the leaf first, then the intermediates, as the CA returned it. */
  readonly chain: string;
  /** Lower-case DNS names of the leaf's subjectAltName. */
  readonly names: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Upper-case hex serial of the leaf. */
  readonly serial: string;
  /** DER of the leaf, for ARI's certificate id. */
  readonly leafDer: Buffer;
  /** mtime of the file when read, to notice another instance's renewal. */
  readonly mtimeMs: number;
}

export interface AccountRecord {
  directory: string;
  url: string;
}

export function certificateId(names: readonly string[]): string {
  return (names[0] as string).replace(/^\*\./, "_wildcard.");
}

export class AcmeStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Creates the folders (0700). Throws AcmeError("STATE"). */
  prepare(): void {
    ensurePrivateDir(this.dir);
    ensurePrivateDir(join(this.dir, "certificates"));
    ensurePrivateDir(join(this.dir, "locks"));
  }

  get accountKeyPath(): string {
    return join(this.dir, "account.key");
  }

  readAccountKey(): Buffer | undefined {
    return readIfExists(this.accountKeyPath);
  }

  /** Stores a new account key unless another instance stored one first; returns the one on disk. */
  saveAccountKey(pem: Buffer): Buffer {
    const existing = this.readAccountKey();
    if (existing !== undefined) return existing;
    writeFileAtomic(this.accountKeyPath, pem);
    return pem;
  }

  readAccount(): AccountRecord | undefined {
    const raw = readIfExists(join(this.dir, "account.json"));
    if (raw === undefined) return undefined;
    try {
      const a = JSON.parse(raw.toString("utf8")) as Partial<AccountRecord>;
      return typeof a.directory === "string" && typeof a.url === "string" ? (a as AccountRecord) : undefined;
    } catch {
      return undefined;
    }
  }

  saveAccount(record: AccountRecord): void {
    writeFileAtomic(join(this.dir, "account.json"), `${JSON.stringify(record, null, 2)}\n`);
  }

  certificatePath(id: string): string {
    return join(this.dir, "certificates", `${id}.pem`);
  }

  lockPath(id: string): string {
    return join(this.dir, "locks", `${id}.lock`);
  }

  /** mtime of the certificate file, or undefined when there is none. */
  certificateMtime(id: string): number | undefined {
    try {
      return statSync(this.certificatePath(id)).mtimeMs;
    } catch {
      return undefined;
    }
  }

  /** The stored certificate, undefined when there is none. Throws AcmeError("STATE"|"CERTIFICATE"). */
  readCertificate(id: string): StoredCertificate | undefined {
    const path = this.certificatePath(id);
    const mtimeMs = this.certificateMtime(id) ?? 0;
    const raw = readIfExists(path);
    if (raw === undefined) return undefined;
    return parseBundle(raw.toString("utf8"), path, mtimeMs);
  }

  /** Writes key + chain in one file, atomically. Throws AcmeError. */
  saveCertificate(id: string, key: string, chain: string): StoredCertificate {
    const text = `${key.trim()}\n${chain.trim()}\n`;
    const parsed = parseBundle(text, this.certificatePath(id), Date.now());
    writeFileAtomic(this.certificatePath(id), text);
    return { ...parsed, mtimeMs: this.certificateMtime(id) ?? Date.now() };
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/** Splits "key, chain" and checks that the key belongs to the leaf. Throws AcmeError("CERTIFICATE"). */
export function parseBundle(text: string, where: string, mtimeMs: number): StoredCertificate {
  let key: string | undefined;
  const certs: string[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (m[1] === "CERTIFICATE") certs.push(m[0]);
    else if (m[1]?.endsWith("PRIVATE KEY")) key ??= m[0];
  }
  if (key === undefined || certs.length === 0)
    throw new AcmeError("CERTIFICATE", `${where}: expected a private key and a certificate chain`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certs[0] as string);
    if (!leaf.checkPrivateKey(createPrivateKey(key)))
      throw new AcmeError("CERTIFICATE", `${where}: the key does not belong to the certificate`);
  } catch (err) {
    if (err instanceof AcmeError) throw err;
    throw new AcmeError("CERTIFICATE", `${where}: ${(err as Error).message}`, { cause: err });
  }
  return {
    key: `${key}\n`,
    chain: `${certs.join("\n")}\n`,
    names: sanDnsNames(leaf.subjectAltName),
    notBefore: leaf.validFromDate,
    notAfter: leaf.validToDate,
    serial: leaf.serialNumber.toUpperCase(),
    leafDer: Buffer.from(leaf.raw),
    mtimeMs,
  };
}

/** DNS entries of X509Certificate#subjectAltName ("DNS:a.test, DNS:*.b.test"), lower case. */
export function sanDnsNames(san: string | undefined): string[] {
  const names: string[] = [];
  for (const part of (san ?? "").split(", ")) {
    if (part.startsWith("DNS:")) names.push(part.slice(4).trim().toLowerCase());
  }
  return names;
}
