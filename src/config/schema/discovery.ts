// `discovery` of an upstream: where its endpoint set comes from when it is not a fixed `endpoints` list.
// Exactly one of `dns`, `srv` and `dnssd` names the source; the rest tunes lookups and refreshes.
import { z } from "zod";
import { DURATION_PATTERN, parseDuration } from "../units.ts";
import { doc, duration, hostPort, meta } from "./fields.ts";

/** A duration with no default: absent means "decide from the answer". */
const optionalDuration = (description: string) =>
  meta(
    z
      .string()
      .regex(new RegExp(DURATION_PATTERN), 'expected a duration such as "250ms", "30s", "5m" or "1h"')
      .transform((s) => parseDuration(s) as number)
      .optional(),
    { description, unit: "duration" },
  );

/** A DNS name: letters, digits, "-", "_" (service labels) and dots; a trailing dot marks it absolute. */
const DNS_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/;
const dnsName = (description: string) =>
  doc(z.string().regex(DNS_NAME, 'expected a DNS name such as "app.internal"').optional(), description);

export const discoverySchema = z
  .strictObject({
    dns: dnsName(
      "Name whose A and AAAA records are the endpoints (with `port`); re-resolved when their TTL runs out.",
    ),
    port: doc(z.int().min(1).max(65535).optional(), "Port of the endpoints found with `dns`."),
    srv: dnsName(
      'SRV name ("_http._tcp.app.internal", RFC 2782): targets and ports; lower priorities serve first, weights go to the balancer.',
    ),
    dnssd: dnsName(
      'DNS-SD service type ("_http._tcp.example.com", RFC 6763): PTR, then SRV and TXT of each instance; TXT key=value pairs become endpoint metadata for route subsets.',
    ),
    search: doc(
      z.array(z.string().regex(DNS_NAME, 'expected a domain such as "svc.internal"')).prefault([]),
      "Search domains: a name without a trailing dot is tried as given, then with each domain in order; the first that resolves wins.",
    ),
    servers: doc(
      z.array(hostPort("A DNS server.")).prefault([]),
      'DNS servers ("host:port") for this upstream instead of the system resolver (split DNS, tests).',
    ),
    min_ttl: duration("Shortest time an answer is used before it is asked again (floor on the TTL).", "1s"),
    max_ttl: duration("Longest time an answer is used before it is asked again (cap on the TTL).", "5m"),
    refresh: optionalDuration(
      "Fixed re-resolve interval instead of the TTL. SRV, PTR and TXT answers always use it (Node does not report their TTL), 30s when not set.",
    ),
    empty_grace: duration(
      "How long an empty answer must keep coming before the upstream is left with no endpoints.",
      "30s",
    ),
    timeout: duration("Time one DNS query may take before it is retried or counts as failed.", "2s"),
  })
  .superRefine((d, ctx) => {
    const sources = [d.dns, d.srv, d.dnssd].filter((s) => s !== undefined).length;
    if (sources !== 1)
      ctx.addIssue({ code: "custom", message: "discovery needs exactly one of dns, srv, dnssd" });
    if (d.dns !== undefined && d.port === undefined)
      ctx.addIssue({ code: "custom", path: ["port"], message: "discovery by dns needs a port" });
    if (d.min_ttl > d.max_ttl)
      ctx.addIssue({ code: "custom", path: ["min_ttl"], message: "min_ttl is longer than max_ttl" });
  });

export type DiscoveryConfig = z.output<typeof discoverySchema>;
