// An upstream cluster as the request path sees it: a name, the current endpoint set, a balancer and
// the connection settings. Discovery and health will publish new endpoint sets; readers take `endpoints`
// fresh each time and never hold on to an old array.
import type { UpstreamConfig } from "../config/schema/index.ts";
import type { Balancer } from "./balance/balancer.ts";
import { balancers } from "./balance/index.ts";
import { type Endpoint, parseEndpoint } from "./endpoint.ts";

export class Upstream {
  readonly name: string;
  readonly config: UpstreamConfig;
  endpoints: readonly Endpoint[];
  readonly #balancer: Balancer;

  constructor(name: string, config: UpstreamConfig) {
    this.name = name;
    this.config = config;
    this.endpoints = Object.freeze(config.endpoints.map(parseEndpoint));
    this.#balancer = balancers[config.balance]();
  }

  /** The endpoint for the next connection or request, skipping any in `exclude` (those already tried). */
  pick(exclude?: ReadonlySet<Endpoint>): Endpoint | undefined {
    if (!exclude || exclude.size === 0) return this.#balancer.pick(this.endpoints);
    return this.#balancer.pick(this.endpoints.filter((e) => !exclude.has(e)));
  }
}
