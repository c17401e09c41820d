// TLS options: `[listeners.NAME.tls]` (termination) and `upstreams.NAME.tls` (connections weir opens).
// The policy is a subset of what Node's OpenSSL supports. Every cipher, group and signature algorithm
// name is checked at load by building a secure context with it alone: OpenSSL silently skips unknown
// names inside a list, so a typo would otherwise weaken or change the policy without a word.
import { createSecureContext, type SecureContextOptions } from "node:tls";
import { z } from "zod";
import { doc, duration, path, size } from "./fields.ts";

/** TLS 1.0 and 1.1 are not offered at all (RFC 8996 deprecates them). */
export const TLS_VERSIONS = ["1.2", "1.3"] as const;
/** What the HTTP engine can serve on a decrypted stream (RFC 7301 protocol ids). */
export const ALPN_PROTOCOLS = ["h2", "http/1.1"] as const;

/** True when OpenSSL accepts `options` on their own. */
function openSslAccepts(options: SecureContextOptions): boolean {
  try {
    createSecureContext(options);
    return true;
  } catch {
    return false;
  }
}

/** One entry of a list of OpenSSL names, checked alone; `what` names the list in the error. */
function opensslName(what: string, check: (name: string) => boolean) {
  return z.string().superRefine((name, ctx) => {
    if (!check(name)) ctx.addIssue({ code: "custom", message: `${what} "${name}" is not known to OpenSSL` });
  });
}

/** A TLS 1.2 cipher (OpenSSL name, e.g. "ECDHE-RSA-AES128-GCM-SHA256"); "!x" excludes one. */
const cipher12 = opensslName("TLS 1.2 cipher", (name) => {
  const bare = name.startsWith("!") ? name.slice(1) : name;
  return bare.length > 0 && !bare.startsWith("TLS_") && openSslAccepts({ ciphers: bare });
});
/** A TLS 1.3 cipher suite (RFC 8446 §B.4 name, e.g. "TLS_AES_128_GCM_SHA256"). */
const suite13 = opensslName("TLS 1.3 cipher suite", (name) => {
  return name.startsWith("TLS_") && openSslAccepts({ ciphers: name });
});
const group = opensslName(
  "key exchange group",
  (name) => /^[\w-]+$/.test(name) && openSslAccepts({ ecdhCurve: name }),
);
const sigalg = opensslName(
  "signature algorithm",
  (name) => /^[\w+-]+$/.test(name) && openSslAccepts({ sigalgs: name }),
);

const certificateSchema = z.strictObject({
  cert: path("PEM file with the certificate, then its intermediates (the chain)."),
  key: path("PEM file with the certificate's private key."),
});

const clientAuthSchema = z.strictObject({
  ca: path("PEM bundle of the CAs whose client certificates are accepted."),
  mode: doc(
    z.enum(["required", "optional"]).prefault("required"),
    '"required": no valid client certificate, no connection; "optional": a client may send none, but one it sends must verify.',
  ),
});

export const listenerTlsSchema = z
  .strictObject({
    certificates: doc(
      z.array(certificateSchema).prefault([]),
      "Certificates, chosen by the client's SNI among the DNS names of each one's subjectAltName (exact, then *.wildcard); the first is the default.",
    ),
    acme: doc(
      z.boolean().prefault(false),
      "Also serve the certificates of [acme] for their names (they win over `certificates` for the same name); TLS-ALPN-01 challenges are answered here.",
    ),
    unknown_sni: doc(
      z.enum(["default", "refuse"]).prefault("default"),
      'A client without SNI or with a name no certificate has: "default" serves the first certificate, "refuse" ends the handshake (unrecognized_name).',
    ),
    alpn: doc(
      z.array(z.enum(ALPN_PROTOCOLS)).min(1).prefault(["h2", "http/1.1"]),
      "ALPN protocols offered, in the server's order of preference; the one negotiated decides HTTP/2 or HTTP/1.1.",
    ),
    min_version: doc(z.enum(TLS_VERSIONS).prefault("1.2"), 'Lowest TLS version accepted ("1.2" or "1.3").'),
    max_version: doc(z.enum(TLS_VERSIONS).prefault("1.3"), 'Highest TLS version accepted ("1.2" or "1.3").'),
    ciphers: doc(
      z.array(cipher12).min(1).optional(),
      "TLS 1.2 ciphers (OpenSSL names), in order of preference; leave out for Node's defaults.",
    ),
    ciphersuites: doc(
      z.array(suite13).min(1).optional(),
      'TLS 1.3 cipher suites, e.g. "TLS_AES_128_GCM_SHA256"; leave out for Node\'s defaults.',
    ),
    groups: doc(
      z.array(group).min(1).optional(),
      'Key exchange groups (curves), e.g. "X25519", "P-256"; leave out for OpenSSL\'s defaults.',
    ),
    sigalgs: doc(
      z.array(sigalg).min(1).optional(),
      'Signature algorithms, e.g. "rsa_pss_rsae_sha256", "ECDSA+SHA256"; leave out for OpenSSL\'s defaults.',
    ),
    client_auth: doc(
      clientAuthSchema.optional(),
      "Verify client certificates (mutual TLS); the subject is logged and given to filters.",
    ),
    session_tickets: doc(
      z.boolean().prefault(true),
      "Offer session resumption with tickets (RFC 5077, RFC 8446 §4.6.1).",
    ),
    session_ticket_key: doc(
      path(
        "File of 48 random bytes (e.g. `openssl rand 48 > ticket.key`) that encrypts session tickets, shared by every worker and machine that reads it; leave out for a key that all workers of one weir derive from a secret made at start.",
      ).optional(),
      "Session ticket key file.",
    ),
    handshake_timeout: duration(
      "Time a client has to send its whole ClientHello and finish the handshake.",
      "10s",
    ),
    max_hello_size: size("Largest ClientHello accepted (all its records); larger ones are refused.", "16KiB"),
    watch_interval: duration(
      "How often certificate and key files are checked for changes (0s: only on reload). A change is read once the files held still for one interval, so a key and certificate copied one after the other are read together.",
      "2s",
    ),
  })
  .refine((t) => TLS_VERSIONS.indexOf(t.min_version) <= TLS_VERSIONS.indexOf(t.max_version), {
    message: "min_version is above max_version",
    path: ["min_version"],
  })
  .refine((t) => t.certificates.length > 0 || t.acme, {
    message: "a TLS listener needs certificates, or acme = true",
    path: ["certificates"],
  });

export const upstreamTlsSchema = z
  .strictObject({
    ca: doc(
      path("PEM bundle of the CAs that may sign the upstream's certificate.").optional(),
      "CA bundle; leave out for the system's CAs.",
    ),
    server_name: doc(
      z.string().min(1).optional(),
      "Name sent as SNI and checked against the upstream's certificate; leave out for the endpoint's host.",
    ),
    cert: doc(
      path("PEM client certificate (and chain), for upstreams that ask for one.").optional(),
      "Client certificate.",
    ),
    key: doc(path("PEM private key of `cert`.").optional(), "Client certificate key."),
    insecure_skip_verify: doc(
      z.boolean().prefault(false),
      "Do not verify the upstream's certificate at all (a warning is logged at start). For tests only.",
    ),
  })
  .refine((t) => (t.cert === undefined) === (t.key === undefined), {
    message: "cert and key go together",
    path: ["cert"],
  });

export type ListenerTlsConfig = z.output<typeof listenerTlsSchema>;
export type UpstreamTlsConfig = z.output<typeof upstreamTlsSchema>;
