// The Prometheus text exposition (format 0.0.4) of a registry. prom-client writes a NaN sample value as
// "Nan"; the format spells it "NaN", which is what strict parsers (and promtool) accept.
import type { Registry } from "prom-client";

export async function exposition(registry: Registry): Promise<{ contentType: string; body: string }> {
  const body = (await registry.metrics()).replace(/ Nan$/gm, " NaN");
  return { contentType: registry.contentType, body };
}
