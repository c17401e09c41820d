// Least request by the power of two random choices (Mitzenmacher): draw two endpoints (by weight), send
// to the one with fewer requests in flight per unit of weight. Nearly as good as scanning all of them,
// O(1), and without the herd that "always the least loaded" causes when many balancers share a view.
import { type Balancer, weightedIndex, without } from "./balancer.ts";

export function leastRequest(): Balancer {
  return {
    pick(all, _hash, exclude) {
      const c = without(all, exclude);
      const n = c.endpoints.length;
      if (n <= 1) return c.endpoints[0];
      const a = weightedIndex(c);
      let b = weightedIndex(c);
      if (b === a) b = (a + 1 + Math.floor(Math.random() * (n - 1))) % n;
      const load = (i: number) => (c.states[i]!.inflight + 1) / c.endpoints[i]!.weight;
      return c.endpoints[load(b) < load(a) ? b : a];
    },
  };
}
