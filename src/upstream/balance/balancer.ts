import type { Endpoint } from "../endpoint.ts";

/** Chooses an endpoint for each new connection or request from the current set. */
export interface Balancer {
  pick(endpoints: readonly Endpoint[]): Endpoint | undefined;
}
