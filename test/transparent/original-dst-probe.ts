// Run by original-dst.test.ts inside a fresh network namespace (unshare --net, as root): the
// original-destination handshake step on real redirected connections, over IPv4 and IPv6, and on a
// connection straight to the listener (a loop). Prints JSON: what each connection's context got, which
// were refused, and the refusal counter's samples.
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { Registry } from "prom-client";
import type { ListenerConfig } from "../../src/config/schema/index.ts";
import type { Generation } from "../../src/generation.ts";
import { newConnectionContext } from "../../src/listener/connection.ts";
import { originalDstStep } from "../../src/listener/handshake/original-dst.ts";
import { loopbackUp } from "./kit.ts";

const registry = new Registry();
const logged: { level: string; reason: unknown; msg: string }[] = [];
const log = Object.fromEntries(
  ["debug", "info", "warn", "error"].map((level) => [
    level,
    (fields: { reason?: unknown }, msg: string) => logged.push({ level, reason: fields.reason, msg }),
  ]),
);
const gen = { metrics: { registry }, log } as unknown as Generation;

loopbackUp();

async function probe(host: string, tool: string, dialled: number | "direct") {
  const server: Server = createServer();
  server.listen({ host, port: 0, ipv6Only: host.includes(":") });
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  const bracketed = host.includes(":") ? `[${host}]` : host;
  const step = originalDstStep(gen, { address: `${bracketed}:${port}` } as ListenerConfig);
  if (dialled !== "direct")
    execFileSync(tool, [
      "-t",
      "nat",
      "-A",
      "OUTPUT",
      "-p",
      "tcp",
      "-d",
      host,
      "--dport",
      String(dialled),
      "-j",
      "REDIRECT",
      "--to-ports",
      String(port),
    ]);
  const client = connect({ host, port: dialled === "direct" ? port : dialled });
  client.on("error", () => {});
  const [accepted] = (await once(server, "connection")) as [Socket];
  const ctx = newConnectionContext("probe", accepted);
  const ok = await new Promise<boolean>((resolve) => step.run(accepted, ctx, resolve));
  client.destroy();
  accepted.destroy();
  server.close();
  return { host, dialled, port, ok, originalDst: ctx.originalDst ?? null };
}

const results = [
  await probe("127.0.0.1", "iptables", 7001),
  await probe("::1", "ip6tables", 7002),
  await probe("127.0.0.1", "iptables", "direct"),
  await probe("::1", "ip6tables", "direct"),
];
const counter = (await registry.getSingleMetric("weir_transparent_refused_total")?.get())?.values ?? [];
process.stdout.write(
  JSON.stringify({ results, logged, refused: counter.map((v) => ({ ...v.labels, value: v.value })) }),
);
