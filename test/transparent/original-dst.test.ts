// The original-destination step of transparent listeners against real iptables/ip6tables REDIRECTs, in a
// network namespace of its own (unshare --net), so no rule touches the machine: IPv4 and IPv6 connections
// get the port they dialled on their context; a connection straight to the listener is closed as a loop,
// logged as an error and counted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { needsNamespaces, runInNamespace } from "./namespaces.ts";

const PROBE = new URL("./original-dst-probe.ts", import.meta.url).pathname;

/** What original-dst-probe.ts prints. */
interface ProbeOutput {
  results: [Probed, Probed, Probed, Probed];
  logged: { level: string; reason: string; msg: string }[];
  refused: unknown[];
}
interface Probed {
  host: string;
  ok: boolean;
  originalDst: unknown;
}

test("the original destination of redirected IPv4 and IPv6 connections; a direct one is a loop", async (t) => {
  if (!needsNamespaces(t)) return;
  const { results, logged, refused } = (await runInNamespace(PROBE, 20_000)) as ProbeOutput;
  const [v4, v6, direct4, direct6] = results;
  assert.equal(v4.ok, true);
  assert.deepEqual(v4.originalDst, { address: "127.0.0.1", port: 7001, family: 4 });
  assert.equal(v6.ok, true);
  assert.deepEqual(v6.originalDst, { address: "::1", port: 7002, family: 6 });
  for (const direct of [direct4, direct6]) {
    assert.equal(direct.ok, false, `${direct.host}: a connection to the listener itself must be refused`);
    assert.equal(direct.originalDst, null);
  }
  const loops = logged.filter((l: { reason: string }) => l.reason === "loop");
  assert.equal(loops.length, 2);
  for (const line of loops) {
    assert.equal(line.level, "error");
    assert.match(line.msg, /is this listener itself; forwarding would loop/);
  }
  assert.deepEqual(refused, [{ listener: "probe", reason: "loop", value: 2 }]);
});
