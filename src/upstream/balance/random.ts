import { type Balancer, weightedIndex, without } from "./balancer.ts";

/** A random endpoint, in proportion to the weights. */
export function random(): Balancer {
  return {
    pick(all, _hash, exclude) {
      const c = without(all, exclude);
      return c.endpoints.length === 0 ? undefined : c.endpoints[weightedIndex(c)];
    },
  };
}
