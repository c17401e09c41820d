// ACME Renewal Information (RFC 9773): the CA's suggested renewal window for one certificate.
// The certificate is named by its "unique identifier" (§4.1): base64url of the keyIdentifier of its
// Authority Key Identifier extension, ".", base64url of its serial number's DER content octets.
import { AcmeError } from "./errors.ts";

export interface RenewalWindow {
  start: Date;
  end: Date;
  /** When to ask again (Retry-After, §4.3), as a time. */
  recheckAt: Date;
  explanationURL?: string;
}

/** The ARI certificate id of a leaf certificate (DER). Throws AcmeError("CERTIFICATE"). */
export function ariCertificateId(leafDer: Buffer): string {
  const cert = readTlv(leafDer, 0);
  const tbs = readTlv(leafDer, cert.start);
  let at = tbs.start;
  let field = readTlv(leafDer, at);
  if (field.tag === 0xa0) {
    at = field.end;
    field = readTlv(leafDer, at);
  }
  if (field.tag !== 0x02) throw new AcmeError("CERTIFICATE", "no serial number in the certificate");
  const serial = leafDer.subarray(field.start, field.end);
  const keyId = authorityKeyId(leafDer, tbs.start, tbs.end);
  if (keyId === undefined)
    throw new AcmeError("CERTIFICATE", "the certificate has no authority key identifier (needed by ARI)");
  return `${keyId.toString("base64url")}.${serial.toString("base64url")}`;
}

interface Tlv {
  tag: number;
  /** First content byte. */
  start: number;
  /** One past the last content byte. */
  end: number;
}

/** One DER TLV at `at`. Throws AcmeError("CERTIFICATE") past the end of `der`. */
function readTlv(der: Buffer, at: number): Tlv {
  if (at + 2 > der.length) throw new AcmeError("CERTIFICATE", "truncated DER");
  const tag = der[at] as number;
  let len = der[at + 1] as number;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > der.length) throw new AcmeError("CERTIFICATE", "bad DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[start + i] as number);
    start += n;
  }
  if (start + len > der.length) throw new AcmeError("CERTIFICATE", "truncated DER");
  return { tag, start, end: start + len };
}

/** OID 2.5.29.35 (authorityKeyIdentifier), as DER content. */
const AKI_OID = Buffer.from([0x55, 0x1d, 0x23]);

/** keyIdentifier ([0] IMPLICIT OCTET STRING, RFC 5280 §4.2.1.1) of the tbsCertificate's AKI. */
function authorityKeyId(der: Buffer, tbsStart: number, tbsEnd: number): Buffer | undefined {
  // Walk the tbsCertificate's fields to the [3] extensions.
  let at = tbsStart;
  while (at < tbsEnd) {
    const field = readTlv(der, at);
    if (field.tag === 0xa3) {
      const list = readTlv(der, field.start);
      let e = list.start;
      while (e < list.end) {
        const ext = readTlv(der, e);
        const oid = readTlv(der, ext.start);
        if (oid.tag === 0x06 && der.subarray(oid.start, oid.end).equals(AKI_OID)) {
          let v = readTlv(der, oid.end);
          if (v.tag === 0x01) v = readTlv(der, v.end); // critical flag
          const seq = readTlv(der, v.start);
          let k = seq.start;
          while (k < seq.end) {
            const item = readTlv(der, k);
            if (item.tag === 0x80) return der.subarray(item.start, item.end);
            k = item.end;
          }
          return undefined;
        }
        e = ext.end;
      }
      return undefined;
    }
    at = field.end;
  }
  return undefined;
}

/** What fetchRenewalInfo needs from an HTTP client: acme-client's axios instance fits. */
export interface HttpGet {
  get(
    url: string,
    config?: { timeout?: number },
  ): Promise<{ status: number; data: unknown; headers: Record<string, unknown> }>;
}

/** GET renewalInfo/<id> (§4.2). Throws AcmeError("CA") on a failed request or a malformed answer. */
export async function fetchRenewalInfo(
  http: HttpGet,
  renewalInfoUrl: string,
  certId: string,
): Promise<RenewalWindow> {
  const url = `${renewalInfoUrl.replace(/\/$/, "")}/${certId}`;
  let res: Awaited<ReturnType<HttpGet["get"]>>;
  try {
    res = await http.get(url, { timeout: 15_000 });
  } catch (err) {
    throw new AcmeError("CA", `renewalInfo: ${(err as Error).message}`, { cause: err });
  }
  if (res.status !== 200) throw new AcmeError("CA", `renewalInfo: HTTP ${res.status}`);
  const body = (typeof res.data === "string" ? safeJson(res.data) : res.data) as {
    suggestedWindow?: { start?: unknown; end?: unknown };
    explanationURL?: unknown;
  };
  const start = new Date(String(body?.suggestedWindow?.start));
  const end = new Date(String(body?.suggestedWindow?.end));
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start)
    throw new AcmeError("CA", "renewalInfo: no valid suggestedWindow");
  const retryAfter = retryAfterMs(res.headers["retry-after"]);
  const window: RenewalWindow = { start, end, recheckAt: new Date(Date.now() + retryAfter) };
  if (typeof body.explanationURL === "string") window.explanationURL = body.explanationURL;
  return window;
}

/** Default re-check when the CA gives no Retry-After: 6 h (§4.3 suggests a few hours). */
const DEFAULT_RECHECK_MS = 6 * 3_600_000;

function retryAfterMs(value: unknown): number {
  if (typeof value !== "string" && typeof value !== "number") return DEFAULT_RECHECK_MS;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.min(Math.max(seconds, 60), 86_400) * 1000;
  const at = Date.parse(String(value));
  return Number.isNaN(at) ? DEFAULT_RECHECK_MS : Math.max(60_000, at - Date.now());
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A time chosen uniformly within the window (§4.2: spreads the CA's load); now if it has passed. */
export function pickRenewalTime(window: RenewalWindow, now = Date.now(), random = Math.random): Date {
  const start = window.start.getTime();
  const end = window.end.getTime();
  if (end <= now) return new Date(now);
  const from = Math.max(start, now);
  return new Date(from + Math.floor(random() * (end - from)));
}
