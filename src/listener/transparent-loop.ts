// Request loops on transparent listeners. When the redirect rules do not exempt weir's own upstream
// connections (see `weir iptables`), a request weir forwards is redirected back to it and forwarded again,
// each hop over a new pooled connection. The connection-level checks (handshake/original-dst.ts) cannot
// see this: pooled connections are undici's, not weir's tracked tunnels, and their original destination is
// the real origin's, not weir's listener. So each request a transparent listener forwards names this
// process in a `weir-loop` field (appended to the ids already there, as Via lists each hop, RFC 9110
// §7.6.3), and a request that arrives naming it already is answered 508 Loop Detected (RFC 5842 §7.2).
//
// The id is per process: with several workers, a loop is caught once it passes one worker a second
// time, within workers + 1 hops. Random, so a client cannot guess it to refuse other clients' requests.
import { randomBytes } from "node:crypto";
import type { Reply } from "../http/phases.ts";

export const LOOP_HEADER = "weir-loop";

const OWN_ID = randomBytes(8).toString("hex");

const body = "508 loop detected\n";
export const LOOP_REPLY: Reply = Object.freeze({
  status: 508,
  headers: Object.freeze({
    "content-type": "text/plain; charset=utf-8",
    "content-length": String(body.length),
  }),
  body,
});

/** Whether a comma-separated list of ids names this process. */
function namesUs(value: string): boolean {
  let start = 0;
  while (start <= value.length) {
    let end = value.indexOf(",", start);
    if (end < 0) end = value.length;
    if (value.slice(start, end).trim() === OWN_ID) return true;
    start = end + 1;
  }
  return false;
}

/**
 * True when the request (its upstream headers, flat [name, value, ...]) already passed through this
 * process: a loop. Otherwise adds this process's id to its weir-loop field (or adds the field) and
 * returns false.
 */
export function detectOrMarkLoop(headers: string[]): boolean {
  let last = -1;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length !== LOOP_HEADER.length || name.toLowerCase() !== LOOP_HEADER) continue;
    if (namesUs(headers[i + 1]!)) return true;
    last = i;
  }
  if (last < 0) headers.push(LOOP_HEADER, OWN_ID);
  else headers[last + 1] = `${headers[last + 1]}, ${OWN_ID}`;
  return false;
}
