import type { Balancer } from "./balancer.ts";

/** Round robin over the current set, in order. */
export function roundRobin(): Balancer {
  let next = 0;
  return {
    pick(endpoints) {
      if (endpoints.length === 0) return undefined;
      next = (next + 1) % endpoints.length;
      return endpoints[next];
    },
  };
}

export function random(): Balancer {
  return { pick: (endpoints) => endpoints[Math.floor(Math.random() * endpoints.length)] };
}

/** Always the first endpoint; the others are spares (health checks come with upstream discovery). */
export function firstAvailable(): Balancer {
  return { pick: (endpoints) => endpoints[0] };
}

export const balancers = { round_robin: roundRobin, random, first_available: firstAvailable } as const;
