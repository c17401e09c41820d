// DNS-01 through RFC 2136 dynamic updates to the zone's primary server, signed with TSIG (RFC 8945).
// The answer must say NOERROR and carry a valid TSIG: an unsigned NOERROR could be forged.
import { randomInt } from "node:crypto";
import type { Rfc2136Config } from "../../config/schema/acme.ts";
import { exchange, parseServer } from "../dns/exchange.ts";
import { signMessage, type TsigKey, verifyAnswer } from "../dns/tsig.ts";
import { buildTxtUpdate, inZone, RCODES, type TxtChange } from "../dns/update.ts";
import { AcmeError } from "../errors.ts";
import { type ChallengeSolver, dnsRecordName } from "./types.ts";

export function rfc2136Solver(config: Rfc2136Config, propagationWaitMs: number): ChallengeSolver {
  const key: TsigKey = {
    name: config.key_name,
    algorithm: config.key_algorithm,
    secret: Buffer.from(config.key_secret, "base64"),
  };
  const change = (action: TxtChange["action"], domain: string, value: string) =>
    sendUpdate(config, key, {
      action,
      zone: config.zone,
      name: dnsRecordName(domain),
      value,
      ttl: config.ttl,
    });
  return {
    type: "dns-01",
    async present(p) {
      await change("add", p.domain, p.keyAuthorization);
      if (propagationWaitMs > 0) await new Promise((r) => setTimeout(r, propagationWaitMs));
    },
    async cleanup(p) {
      await change("delete", p.domain, p.keyAuthorization);
    },
  };
}

/** Sends one signed UPDATE; rejects with AcmeError("DNS_UPDATE") unless the server accepted it. */
export async function sendUpdate(config: Rfc2136Config, key: TsigKey, change: TxtChange): Promise<void> {
  const what = `DNS UPDATE ${change.action} ${change.name} TXT via ${config.server}`;
  if (!inZone(change.name, change.zone))
    throw new AcmeError("DNS_UPDATE", `${what}: the name is not in zone ${change.zone}`);
  let answer: Buffer;
  let signed: ReturnType<typeof signMessage>;
  try {
    signed = signMessage(buildTxtUpdate(randomInt(0, 0x10000), change), key);
    answer = await exchange(parseServer(config.server), signed.message, config.transport);
  } catch (err) {
    throw new AcmeError("DNS_UPDATE", `${what}: ${(err as Error).message}`, { cause: err });
  }
  const rcode = answer.readUInt16BE(2) & 0x000f;
  const tsig = verifyAnswer(answer, key, signed.mac);
  if (rcode !== 0)
    throw new AcmeError(
      "DNS_UPDATE",
      `${what}: ${RCODES[rcode] ?? `rcode ${rcode}`}${tsig.ok ? "" : ` (${tsig.reason})`}`,
    );
  if (!tsig.ok) throw new AcmeError("DNS_UPDATE", `${what}: ${tsig.reason}`);
}
