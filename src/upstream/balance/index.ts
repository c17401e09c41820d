// The balancers by their config name (`balance`). Each factory makes one balancer per upstream.
import type { Balancer } from "./balancer.ts";
import { firstAvailable } from "./first-available.ts";
import { leastRequest } from "./least-request.ts";
import { random } from "./random.ts";
import { ringHash } from "./ring-hash.ts";
import { roundRobin } from "./round-robin.ts";

export const balancers = {
  round_robin: roundRobin,
  least_request: leastRequest,
  random,
  ring_hash: ringHash,
  first_available: firstAvailable,
} as const satisfies Record<string, () => Balancer>;
