// An RFC 2136 UPDATE message that adds or deletes one TXT record (the DNS-01 challenge record):
// header with opcode UPDATE, the zone section (zone name, SOA, IN), no prerequisites, one update.
//   add:    NAME TXT IN ttl rdata                 (§2.5.1)
//   delete: NAME TXT NONE 0 rdata, only that value (§2.5.4), so that concurrent challenges for the same
//           name (a wildcard and its base name) keep each other's records.
import { CLASS_IN, CLASS_NONE, OPCODE_UPDATE, TYPE_SOA, TYPE_TXT, txtRdata, Writer } from "./wire.ts";

export interface TxtChange {
  action: "add" | "delete";
  /** Zone the name is in ("example.com"). */
  zone: string;
  /** Owner name, e.g. "_acme-challenge.example.com." */
  name: string;
  value: string;
  ttl: number;
}

/** The unsigned message (ARCOUNT 0): sign it with tsig.ts before sending. Throws DnsEncodeError. */
export function buildTxtUpdate(id: number, change: TxtChange): Buffer {
  const w = new Writer()
    .u16(id)
    .u16(OPCODE_UPDATE << 11)
    .u16(1) // ZOCOUNT
    .u16(0) // PRCOUNT
    .u16(1) // UPCOUNT
    .u16(0); // ADCOUNT
  w.name(change.zone).u16(TYPE_SOA).u16(CLASS_IN);
  const rdata = txtRdata(change.value);
  w.name(change.name)
    .u16(TYPE_TXT)
    .u16(change.action === "add" ? CLASS_IN : CLASS_NONE)
    .u32(change.action === "add" ? change.ttl : 0)
    .u16(rdata.length)
    .bytes(rdata);
  return w.done();
}

/** RCODE names (RFC 1035 §4.1.1, RFC 2136 §2.2) for messages. */
export const RCODES: Record<number, string> = {
  0: "NOERROR",
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
  6: "YXDOMAIN",
  7: "YXRRSET",
  8: "NXRRSET",
  9: "NOTAUTH",
  10: "NOTZONE",
};

/** True when `name` is `zone` or below it. */
export function inZone(name: string, zone: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  const z = zone.toLowerCase().replace(/\.$/, "");
  return n === z || n.endsWith(`.${z}`);
}
