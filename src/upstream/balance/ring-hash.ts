// Consistent hashing on a Ketama ring: each endpoint owns POINTS_PER_WEIGHT × weight points (MD5 of
// "key-n", four points per digest, as libketama places them); a request goes to the owner of the first
// point at or after its key's hash. Adding an endpoint to N moves about 1/(N+1) of the keys, and losing
// one moves only the keys it owned. Rings are built once per snapshot of the candidates.
import { createHash } from "node:crypto";
import type { Endpoint } from "../endpoint.ts";
import type { Balancer, Candidates } from "./balancer.ts";

const POINTS_PER_WEIGHT = 160;
/** Bound on a ring's size, whatever the weights say. */
const MAX_POINTS = 1 << 16;

interface Ring {
  readonly hashes: Uint32Array;
  /** Index into the candidates' endpoints of each point's owner. */
  readonly owners: Uint32Array;
}

export function buildRing(c: Candidates): Ring {
  const n = c.endpoints.length;
  let minWeight = Number.POSITIVE_INFINITY;
  for (const e of c.endpoints) minWeight = Math.min(minWeight, e.weight);
  const perEndpoint = c.endpoints.map((e) =>
    Math.max(4, Math.round((POINTS_PER_WEIGHT * e.weight) / minWeight / 4) * 4),
  );
  const total = perEndpoint.reduce((a, b) => a + b, 0);
  const scale = total > MAX_POINTS ? MAX_POINTS / total : 1;
  const points: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const count = Math.max(4, Math.floor((perEndpoint[i]! * scale) / 4) * 4);
    for (let d = 0; d < count / 4; d++) {
      const digest = createHash("md5").update(`${c.endpoints[i]!.key}-${d}`).digest();
      for (let k = 0; k < 4; k++) points.push([digest.readUInt32LE(k * 4), i]);
    }
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    hashes: Uint32Array.from(points, (p) => p[0]),
    owners: Uint32Array.from(points, (p) => p[1]),
  };
}

/** Index of the first point at or after `hash`, wrapping to 0. */
function firstPoint(ring: Ring, hash: number): number {
  let lo = 0;
  let hi = ring.hashes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ring.hashes[mid]! < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo === ring.hashes.length ? 0 : lo;
}

export function ringHash(): Balancer {
  const rings = new WeakMap<Candidates, Ring>();
  return {
    pick(c, hash, exclude) {
      if (c.endpoints.length === 0) return undefined;
      let ring = rings.get(c);
      if (ring === undefined) {
        ring = buildRing(c);
        rings.set(c, ring);
      }
      const start = firstPoint(ring, hash >>> 0);
      // A retry walks on along the ring to the next owner not tried yet.
      for (let i = 0; i < ring.hashes.length; i++) {
        const e = c.endpoints[ring.owners[(start + i) % ring.hashes.length]!] as Endpoint;
        if (exclude === undefined || !exclude.has(e)) return e;
      }
      return undefined;
    },
  };
}
