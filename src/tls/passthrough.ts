// Routes with `sni` and `passthrough = true`, compiled per listener into an SNI lookup: a connection whose
// ClientHello names one of them is tunnelled to the route's upstream, bytes untouched from the first one,
// and its TLS session stays end to end between the client and the upstream (weir never sees inside).
import type { Generation } from "../generation.ts";
import type { Upstream } from "../upstream/upstream.ts";
import { SniTable } from "./sni-table.ts";

export interface PassthroughRoute {
  /** The route's name, or "#<index>", as in the HTTP routes. */
  readonly label: string;
  readonly upstream: Upstream;
}

/** The passthrough routes that apply to `listener`; undefined when there are none. */
export function compilePassthrough(
  gen: Generation,
  listener: string,
): SniTable<PassthroughRoute> | undefined {
  const table = new SniTable<PassthroughRoute>();
  gen.config.routes.forEach((route, index) => {
    if (!route.passthrough || route.sni === undefined || route.upstream === undefined) return;
    if (route.listeners !== undefined && !route.listeners.includes(listener)) return;
    const upstream = gen.upstreams.get(route.upstream);
    if (upstream === undefined) return;
    table.add(route.sni, Object.freeze({ label: route.name ?? `#${index}`, upstream }));
  });
  return table.size > 0 ? table : undefined;
}
