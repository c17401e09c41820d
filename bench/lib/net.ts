/** Ports for benchmarks: pick a free one, wait until something listens on one. */

import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

const TCP_LISTEN = "0A"; // include/net/tcp_states.h: TCP_LISTEN = 10

/** True when some socket is in LISTEN on `port`, per /proc/net/tcp and tcp6 (proc(5)). */
function isListening(port: number): boolean {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(hexPort) && cols[3] === TCP_LISTEN) return true;
    }
  }
  return false;
}

/**
 * Resolves true once something listens on `port`, false after `timeoutMs` or
 * when `gaveUp()` says so. It looks at the kernel's socket table instead of
 * connecting: a probe connection would be forwarded by the proxy under test to
 * the backend, and some backends (iperf3) take a stray empty connection badly.
 */
export async function waitForPort(port: number, timeoutMs: number, gaveUp: () => boolean = () => false) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (isListening(port)) return true;
    if (gaveUp()) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
