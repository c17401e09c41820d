// A self-signed certificate made at test time with the openssl CLI (never committed): an EC P-256 key and
// a certificate whose subject CN is the first name and whose subjectAltName lists every name as DNS.
// Callers choose where the two PEM files go and read, concatenate or hand over the paths as they need.
import { execFileSync } from "node:child_process";

export interface SelfSignedRequest {
  /** DNS names; the first is also the subject's CN. */
  names: string[];
  days: number;
  keyFile: string;
  certFile: string;
}

/** Writes `keyFile` and `certFile` (PEM); throws if openssl fails or is missing. */
export function writeSelfSigned({ names, days, keyFile, certFile }: SelfSignedRequest): void {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      String(days),
      "-subj",
      `/CN=${names[0]}`,
      "-addext",
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`,
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "ignore" },
  );
}
