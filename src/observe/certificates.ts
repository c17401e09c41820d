// The certificates the config names (listener TLS and upstream client certificates), with their names
// and expiry, for /status and the dashboard. Read from the files each time they are asked for, so a
// renewed file shows its new date; a file that cannot be read is reported with its error, not thrown.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Config } from "../config/schema/index.ts";

export interface CertificateInfo {
  /** Where the config names it: "listeners.web.tls.certificates[0]". */
  where: string;
  file: string;
  subject?: string;
  /** DNS names and IP addresses of the subjectAltName. */
  names?: string[];
  issuer?: string;
  not_before?: string;
  not_after?: string;
  days_left?: number;
  error?: string;
}

const DAY_MS = 86_400_000;

export function certificateFiles(config: Config): { where: string; file: string }[] {
  const out: { where: string; file: string }[] = [];
  for (const [name, l] of Object.entries(config.listeners)) {
    const tls = (l as { tls?: { certificates?: { cert: string }[] } }).tls;
    tls?.certificates?.forEach((c, i) => {
      out.push({ where: `listeners.${name}.tls.certificates[${i}]`, file: c.cert });
    });
  }
  for (const [name, u] of Object.entries(config.upstreams)) {
    const cert = (u as { tls?: { cert?: string } }).tls?.cert;
    if (cert !== undefined) out.push({ where: `upstreams.${name}.tls.cert`, file: cert });
  }
  return out;
}

export function describeCertificates(config: Config, now = Date.now()): CertificateInfo[] {
  return certificateFiles(config).map(({ where, file }) => {
    try {
      const cert = new X509Certificate(readFileSync(file));
      const notAfter = new Date(cert.validTo);
      return {
        where,
        file,
        subject: cert.subject.replace(/\n/g, ", "),
        names: subjectAltNames(cert.subjectAltName),
        issuer: cert.issuer.replace(/\n/g, ", "),
        not_before: new Date(cert.validFrom).toISOString(),
        not_after: notAfter.toISOString(),
        days_left: Math.floor((notAfter.getTime() - now) / DAY_MS),
      };
    } catch (err) {
      return { where, file, error: (err as Error).message };
    }
  });
}

function subjectAltNames(san: string | undefined): string[] {
  if (san === undefined) return [];
  return san
    .split(", ")
    .map((part) => /^(?:DNS|IP Address):(.+)$/.exec(part)?.[1])
    .filter((n): n is string => n !== undefined);
}
