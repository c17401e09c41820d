// Smooth weighted round robin (as nginx does it): every pick adds each endpoint's weight to its running
// score, takes the highest, and takes the total off the winner. Weights 5,1,1 give a,a,b,a,c,a,a: the
// shares are exact over each cycle of totalWeight picks and the heavy endpoint's turns are spread out.
import type { Endpoint } from "../endpoint.ts";
import { type Balancer, type Candidates, without } from "./balancer.ts";

export function roundRobin(): Balancer {
  let turn = 0;
  const scores = new WeakMap<Candidates, Float64Array>();
  return {
    pick(all, _hash, exclude) {
      const c = without(all, exclude);
      const n = c.endpoints.length;
      if (n === 0) return undefined;
      if (c.uniform) {
        turn = (turn + 1) % 1_000_000_007;
        return c.endpoints[turn % n];
      }
      let score = scores.get(c);
      if (score === undefined) {
        score = new Float64Array(n);
        scores.set(c, score);
      }
      let best = 0;
      for (let i = 0; i < n; i++) {
        score[i]! += c.endpoints[i]!.weight;
        if (score[i]! > score[best]!) best = i;
      }
      score[best]! -= c.totalWeight;
      return c.endpoints[best] as Endpoint;
    },
  };
}
