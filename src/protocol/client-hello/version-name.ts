// Human-readable names of TLS protocol versions, for logs and metric labels.

const NAMES: Readonly<Record<number, string>> = {
  768: "SSL3",
  769: "TLS1.0",
  770: "TLS1.1",
  771: "TLS1.2",
  772: "TLS1.3",
};

/**
 * "TLS1.2", "TLS1.3", ...; "GREASE" for the reserved values of RFC 8701 §2 (0x0A0A, 0x1A1A, ... 0xFAFA);
 * "TLS1.3-draftNN" for the 0x7fNN draft versions; otherwise the value in hex, e.g. "0x0305".
 */
export function tlsVersionName(version: number): string {
  const known = NAMES[version];
  if (known !== undefined) return known;
  if ((version & 0x0f0f) === 0x0a0a && version >> 8 === (version & 0xff)) return "GREASE";
  if (version >> 8 === 0x7f && version <= 0x7fff) return `TLS1.3-draft${version & 0xff}`;
  return `0x${(version >>> 0).toString(16).padStart(4, "0")}`;
}
