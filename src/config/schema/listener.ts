import { z } from "zod";
import { isCidr } from "../../net/address.ts";
import { doc, duration, size } from "./fields.ts";
import { listenerFiltersField } from "./filters.ts";
import { listenerTlsSchema } from "./tls.ts";
import { checkTransparent, transparentFields } from "./transparent.ts";

/** "host:port", "[v6]:port" or "unix:/path". */
export const LISTEN_ADDRESS = /^(unix:.+|(\[[0-9a-fA-F:.]+\]|[0-9.]+|localhost|\*):\d{1,5})$/;

export const LISTENER_PROTOCOLS = ["tcp", "http", "auto"] as const;

export const PROXY_PROTOCOL_VERSIONS = ["v1", "v2", "any"] as const;

const cidrList = (description: string) =>
  doc(
    z
      .array(z.string().refine(isCidr, 'expected an address or CIDR such as "10.0.0.0/8" or "fd00::/8"'))
      .prefault([]),
    description,
  );

const httpSettings = z
  .strictObject({
    header_timeout: duration(
      "Time a client has to send a complete request head; slower clients get 408 (slowloris).",
      "10s",
    ),
    keepalive_timeout: duration("Idle time after which a keep-alive client connection is closed.", "60s"),
    max_header_size: size("Largest request head accepted; larger ones get 431.", "16KiB"),
    max_requests_per_connection: doc(
      z.int().min(0).prefault(0),
      "Requests served on one HTTP/1 connection before it is closed (0: no limit).",
    ),
    request_timeout: duration(
      "Time a client has to send a whole request, body included (0s: no limit).",
      "5m",
    ),
    trusted_proxies: cidrList(
      "Clients (CDNs, load balancers) whose X-Forwarded-*, Forwarded and Via headers are kept and extended; from anyone else they are replaced. " +
        "Behind them, the request's client address is the rightmost X-Forwarded-For address that is not itself a trusted proxy.",
    ),
  })
  .prefault({});

const listenerFields = z.strictObject({
  address: doc(
    z.string().regex(LISTEN_ADDRESS, 'expected "host:port", "[ipv6]:port" or "unix:/path/to.sock"'),
    'Where to listen: "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:80", or "unix:/run/weir.sock".',
  ),
  protocol: doc(
    z.enum(LISTENER_PROTOCOLS).prefault("http"),
    '"tcp" forwards bytes to `upstream`; "http" serves HTTP/1.x and HTTP/2 cleartext; "auto" detects per connection.',
  ),
  upstream: doc(
    z.string().min(1).optional(),
    'Upstream for raw TCP: every connection of a "tcp" listener, and what an "auto" listener does not recognise.',
  ),
  idle_timeout: duration(
    "Raw TCP: time without a byte in either direction after which both sides are closed.",
    "5m",
  ),
  detect_timeout: duration(
    '"auto" listeners: time to wait for the client\'s first bytes before treating it as raw TCP (server-speaks-first protocols).',
    "1s",
  ),
  max_connections: doc(
    z.int().min(0).prefault(0),
    "Most connections this listener holds at once; further ones are closed on accept (0: no limit).",
  ),
  socket_mode: doc(
    z
      .string()
      .regex(/^0?[0-7]{3}$/, 'expected an octal mode such as "0660"')
      .prefault("0660"),
    "Unix socket listeners: file mode of the socket.",
  ),
  backlog: doc(
    z.int().min(1).max(65535).prefault(511),
    "Length of the kernel's queue of connections not yet accepted.",
  ),
  proxy_protocol: doc(
    z.enum(PROXY_PROTOCOL_VERSIONS).optional(),
    'Require a PROXY protocol header ("v1", "v2" or "any") at the start of every connection; its source address becomes the client address. Leave out to read none.',
  ),
  proxy_protocol_from: cidrList(
    "Peers allowed to send the PROXY header (load balancers); a connection from anyone else is closed. Empty: any peer (only where a firewall already limits who can connect).",
  ),
  proxy_protocol_timeout: duration(
    "Time a connection has to deliver its whole PROXY header; then it is closed.",
    "3s",
  ),
  http: doc(httpSettings, "HTTP limits and timeouts of this listener."),
  filters: listenerFiltersField,
  tls: doc(
    listenerTlsSchema.optional(),
    'Terminate TLS: on "http" listeners every connection is TLS; on "auto" ones TLS is detected per connection.',
  ),
  ...transparentFields,
});

export const listenerSchema = listenerFields.superRefine(checkTransparent);
