/**
 * The start every HTTP-side row (http, tls, filters, scaling) shares: check its tools, then run its body
 * against the nginx origin and stop the origin after. A row that cannot start prints its n/a line and why
 * (run.ts's contract: a missing tool is never an error).
 */

import { startOrigin } from "./http-proxies.ts";
import { which } from "./proc.ts";
import type { RowContext } from "./row.ts";

/**
 * True when a tool is missing, after printing `row: n/a — missing ...` with the Debian packages of all
 * of `tools` (tool name → package).
 */
export function toolsMissing(row: string, tools: Readonly<Record<string, string>>): boolean {
  const missing = Object.keys(tools).filter((p) => which(p) === null);
  if (missing.length === 0) return false;
  console.log(`${row}: n/a — missing ${missing.join(", ")} (Debian: ${Object.values(tools).join(" ")})`);
  return true;
}

/** The origin's ports: HTTP/1.1 and h2c. */
export interface OriginPorts {
  h1: number;
  h2: number;
}

/** Starts the origin (pinned as `ctx` says), runs `body` against it, stops it; n/a line when it cannot start. */
export async function withOrigin(
  row: string,
  ctx: RowContext,
  body: (origin: OriginPorts) => Promise<void>,
): Promise<void> {
  const origin = await startOrigin(ctx);
  if (!origin.ok) {
    console.log(`${row}: n/a — the nginx origin did not start: ${origin.why}`);
    return;
  }
  try {
    await body({ h1: origin.ports.h1, h2: origin.ports.h2 ?? origin.ports.h1 });
  } finally {
    await origin.proc?.stop();
  }
}
