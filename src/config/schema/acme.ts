// `[acme]`: certificates obtained and renewed over ACME v2 (RFC 8555) by the supervisor, served by the
// TLS listeners that say `tls = { acme = true }`. Challenges: HTTP-01 (RFC 8555 §8.3), TLS-ALPN-01
// (RFC 8737), DNS-01 (RFC 8555 §8.4) through an exec hook or RFC 2136 dynamic updates signed with
// TSIG (RFC 8945). Wildcard names can only be validated by DNS-01 (RFC 8555 §7.1.3).
import { z } from "zod";
import { DURATION_PATTERN, parseDuration } from "../units.ts";
import { doc, duration, HOST_PORT, meta, path } from "./fields.ts";

/** Directory URLs known by name. */
export const ACME_DIRECTORY_PRESETS = {
  letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

export const ACME_CHALLENGES = ["http-01", "tls-alpn-01", "dns-01"] as const;
export const ACME_KEY_TYPES = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-4096"] as const;
/** TSIG algorithms (RFC 8945 §6) weir signs with. */
export const TSIG_ALGORITHMS = ["hmac-sha256", "hmac-sha384", "hmac-sha512"] as const;

/** A DNS name ("a.example.com") or a one-label wildcard ("*.example.com"); no trailing dot. */
const ACME_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

const dnsHookSchema = z.strictObject({
  present: doc(
    z.string().min(1),
    "Command (run by /bin/sh) that publishes the TXT record; it gets WEIR_ACME_RECORD (e.g. `_acme-challenge.example.com.`), WEIR_ACME_VALUE and WEIR_ACME_NAME in its environment, and must exit 0.",
  ),
  cleanup: doc(
    z.string().min(1),
    "Command that removes the TXT record again; same environment as `present`.",
  ),
  cwd: doc(
    path("Folder the commands run in.").prefault("."),
    "Folder the hook commands run in; by default the config file's folder.",
  ),
  timeout: duration("Time each command may take before it is killed and the attempt fails.", "2m"),
});

const rfc2136Schema = z.strictObject({
  server: doc(
    z.string().regex(HOST_PORT, 'expected "host:port", e.g. "192.0.2.53:53"'),
    'The authoritative (primary) server that accepts dynamic updates, "host:port".',
  ),
  zone: doc(z.string().min(1), 'The zone the records are in, e.g. "example.com".'),
  key_name: doc(z.string().min(1), "Name of the TSIG key, as the server knows it."),
  key_algorithm: doc(z.enum(TSIG_ALGORITHMS).prefault("hmac-sha256"), "TSIG algorithm (RFC 8945)."),
  key_secret: doc(
    z
      .string()
      .min(1)
      .refine((s) => /^[A-Za-z0-9+/]+={0,2}$/.test(s), "expected the key in base64"),
    "The TSIG secret, base64 as in BIND's and Knot's key files.",
  ),
  transport: doc(
    z.enum(["udp", "tcp"]).prefault("udp"),
    '"udp" (retried over TCP when the answer is truncated) or "tcp".',
  ),
  ttl: doc(z.int().min(0).max(86_400).prefault(60), "TTL of the TXT records added, in seconds."),
});

const certificateSchema = z
  .strictObject({
    names: doc(
      z
        .array(
          z
            .string()
            .regex(ACME_NAME, 'expected a DNS name such as "example.com" or "*.example.com"')
            .transform((s) => s.toLowerCase()),
        )
        .min(1)
        .max(100),
      "Names on the certificate (subjectAltName); the first is its name in logs and in the state folder.",
    ),
    challenge: doc(
      z.enum(ACME_CHALLENGES).prefault("http-01"),
      '"http-01" (answered by weir\'s HTTP listeners on port 80), "tls-alpn-01" (by its TLS listeners on 443) or "dns-01" (needed for wildcards).',
    ),
    dns_hook: doc(
      dnsHookSchema.optional(),
      "DNS-01 through commands that publish and remove the TXT record.",
    ),
    rfc2136: doc(rfc2136Schema.optional(), "DNS-01 through RFC 2136 dynamic updates signed with TSIG."),
    propagation_wait: duration(
      "DNS-01: time to wait after the record is published before the CA is asked to look (secondaries catching up).",
      "0s",
    ),
    key_type: doc(z.enum(ACME_KEY_TYPES).prefault("ecdsa-p256"), "Type of the certificate's private key."),
  })
  .superRefine((c, ctx) => {
    if (c.challenge !== "dns-01" && c.names.some((n) => n.startsWith("*.")))
      ctx.addIssue({
        code: "custom",
        path: ["challenge"],
        message: 'wildcard names can only be validated with challenge = "dns-01"',
      });
    if (c.challenge === "dns-01" && (c.dns_hook === undefined) === (c.rfc2136 === undefined))
      ctx.addIssue({
        code: "custom",
        path: ["challenge"],
        message: 'challenge = "dns-01" needs exactly one of dns_hook or rfc2136',
      });
    if (c.challenge !== "dns-01" && (c.dns_hook !== undefined || c.rfc2136 !== undefined))
      ctx.addIssue({
        code: "custom",
        path: ["challenge"],
        message: 'dns_hook and rfc2136 are only used with challenge = "dns-01"',
      });
    if (new Set(c.names).size !== c.names.length)
      ctx.addIssue({ code: "custom", path: ["names"], message: "a name is listed twice" });
  });

export const acmeSchema = z
  .strictObject({
    directory: doc(
      z
        .string()
        .refine(
          (s) => s in ACME_DIRECTORY_PRESETS || /^https?:\/\/\S+$/.test(s),
          'expected "letsencrypt", "letsencrypt-staging" or the https:// URL of an ACME directory',
        )
        .prefault("letsencrypt"),
      'The CA\'s ACME directory: "letsencrypt", "letsencrypt-staging", or a URL.',
    ),
    directory_ca: doc(
      path("PEM bundle of the CAs that sign the ACME server's own HTTPS certificate.").optional(),
      "CA bundle for the ACME server's HTTPS; leave out for the system's CAs.",
    ),
    email: doc(
      z.email().optional(),
      "Contact address of the account (the CA's expiry and policy mail goes there).",
    ),
    accept_terms: doc(
      z.literal(true, { error: "set accept_terms = true to accept the CA's terms of service" }),
      "You accept the CA's terms of service (RFC 8555 §7.3 termsOfServiceAgreed): must be true.",
    ),
    eab: doc(
      z
        .strictObject({
          kid: doc(z.string().min(1), "Key identifier the CA gave you."),
          hmac_key: doc(z.string().min(1), "MAC key the CA gave you (base64url)."),
        })
        .optional(),
      "External Account Binding (RFC 8555 §7.3.4), for CAs that require one.",
    ),
    state_dir: doc(
      path("Folder of the account key and the certificates (created with mode 0700).").prefault("acme-state"),
      "Where the account and certificates are kept; relative to the config file.",
    ),
    renew_before_expiry: duration(
      "Renew when this much validity is left (unless renew_after_issue is set).",
      "30d",
    ),
    renew_after_issue: meta(
      z
        .string()
        .regex(new RegExp(DURATION_PATTERN), 'expected a duration such as "60d"')
        .transform((s) => parseDuration(s) as number)
        .optional(),
      {
        description:
          'Renew this long after issuance instead (e.g. "60d", counted from notBefore); overrides renew_before_expiry.',
        unit: "duration",
      },
    ),
    check_interval: duration("How often certificates are checked for renewal (also checked at start).", "1h"),
    retry_min: duration("First wait after a failed order; it doubles with each failure.", "1m"),
    retry_max: duration("Longest wait between attempts after failures.", "6h"),
    certificates: doc(
      z.array(certificateSchema).min(1),
      "The certificates to obtain, each with its names and how they are validated.",
    ),
  })
  .superRefine((a, ctx) => {
    const seen = new Map<string, number>();
    a.certificates.forEach((c, i) => {
      for (const n of c.names) {
        const other = seen.get(n);
        if (other !== undefined)
          ctx.addIssue({
            code: "custom",
            path: ["certificates", i, "names"],
            message: `"${n}" is already on certificates[${other}]`,
          });
        else seen.set(n, i);
      }
    });
    if (a.retry_min > a.retry_max)
      ctx.addIssue({ code: "custom", path: ["retry_min"], message: "retry_min is above retry_max" });
  });

export type AcmeConfig = z.output<typeof acmeSchema>;
export type AcmeCertificateConfig = AcmeConfig["certificates"][number];
export type Rfc2136Config = NonNullable<AcmeCertificateConfig["rfc2136"]>;
export type DnsHookConfig = NonNullable<AcmeCertificateConfig["dns_hook"]>;

/** The directory URL for a preset name or URL. */
export function directoryUrl(directory: string): string {
  return (ACME_DIRECTORY_PRESETS as Record<string, string>)[directory] ?? directory;
}
