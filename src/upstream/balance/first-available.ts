import type { Balancer } from "./balancer.ts";

/** The first available endpoint in the published order; the others are spares for when it is down. */
export function firstAvailable(): Balancer {
  return {
    pick(c, _hash, exclude) {
      for (const e of c.endpoints) if (exclude === undefined || !exclude.has(e)) return e;
      return undefined;
    },
  };
}
