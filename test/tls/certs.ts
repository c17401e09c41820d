// Test certificates, made at test time with the openssl CLI into a folder of the caller's (never
// committed): one CA, and leaves signed by it with the DNS names given, RSA 2048 like most real ones.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCa {
  dir: string;
  /** PEM of the CA certificate. */
  ca: string;
  caKey: string;
}

export interface TestCert {
  cert: string;
  key: string;
}

/** Splits a command line of file names without spaces. */
const words = (line: string): string[] => line.split(" ");

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA in `dir`: ca.pem and ca.key (`name` prefixes the files when given). */
export function makeCa(dir: string, name = "ca"): TestCa {
  mkdirSync(dir, { recursive: true });
  openssl(
    [
      ...words(`req -x509 -newkey rsa:2048 -nodes -days 2 -keyout ${name}.key -out ${name}.pem`),
      ...words("-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"),
      ...["-subj", `/CN=weir test ${name}`],
    ],
    dir,
  );
  return { dir, ca: join(dir, `${name}.pem`), caKey: join(dir, `${name}.key`) };
}

/**
 * `file`.pem and `file`.key in the CA's folder: a leaf signed by the CA with `names` as DNS SANs, for
 * servers, or with `clientAuth` usage for client certificates (subject CN = the first name).
 */
export function makeLeaf(
  ca: TestCa,
  file: string,
  names: string[],
  opts: { client?: boolean } = {},
): TestCert {
  const dir = ca.dir;
  const ext = join(dir, `${file}.ext`);
  const usage = opts.client ? "clientAuth" : "serverAuth";
  writeFileSync(
    ext,
    `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`,
  );
  openssl(
    [
      ...words(`req -newkey rsa:2048 -nodes -keyout ${file}.key -out ${file}.csr`),
      "-subj",
      `/CN=${names[0]}/O=weir tests`,
    ],
    dir,
  );
  openssl(
    [
      ...words(`x509 -req -in ${file}.csr -CAcreateserial -days 2 -out ${file}.pem`),
      ...["-CA", ca.ca, "-CAkey", ca.caKey, "-extfile", ext],
    ],
    dir,
  );
  return { cert: join(dir, `${file}.pem`), key: join(dir, `${file}.key`) };
}

/** The SHA-256 fingerprint of the PEM certificate in `file`, as node:tls reports a peer's. */
export function fingerprintOf(file: string): string {
  return new X509Certificate(readFileSync(file)).fingerprint256;
}

/** What the certificate reload tests replace on disk while weir serves. */
export interface CertRotation {
  pki: TestCa;
  /** Two leaves for a.test signed by `pki`. */
  first: TestCert;
  second: TestCert;
  /** The pair the config names (a.pem, a.key in the folder given), a copy of `first` to begin with. */
  live: TestCert;
}

/** In `dir`: a CA (pki/), two leaves for a.test, and the live pair, a copy of the first. */
export function makeRotation(dir: string): CertRotation {
  const pki = makeCa(join(dir, "pki"));
  const first = makeLeaf(pki, "first", ["a.test"]);
  const second = makeLeaf(pki, "second", ["a.test"]);
  const live = { cert: join(dir, "a.pem"), key: join(dir, "a.key") };
  copyFileSync(first.cert, live.cert);
  copyFileSync(first.key, live.key);
  return { pki, first, second, live };
}

/** Copies `pair` over `live`: the key first, then the certificate. */
export function replacePair(live: TestCert, pair: TestCert): void {
  copyFileSync(pair.key, live.key);
  copyFileSync(pair.cert, live.cert);
}
