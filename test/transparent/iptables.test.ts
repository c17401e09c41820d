// `weir iptables`: the rules it prints for the contract's ports, multiport groups, ranges, and usage errors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { IptablesUsageError, iptablesRules, parseIptablesArgs } from "../../src/cli/iptables.ts";
import { runWeir } from "../lib/weir-process.ts";
import { weirIptablesArgs } from "./kit.ts";

test("weir iptables prints the owner exemption, then the REDIRECT, for iptables and ip6tables", async () => {
  const { code, stdout, stderr } = await runWeir(weirIptablesArgs("18888,18825"));
  assert.equal(code, 0, stderr);
  assert.equal(
    stdout,
    [
      "iptables -t nat -A OUTPUT -p tcp -m owner --uid-owner nobody -j RETURN",
      "iptables -t nat -A OUTPUT -p tcp -m multiport --dports 18888,18825 -j REDIRECT --to-ports 4140",
      "ip6tables -t nat -A OUTPUT -p tcp -m owner --uid-owner nobody -j RETURN",
      "ip6tables -t nat -A OUTPUT -p tcp -m multiport --dports 18888,18825 -j REDIRECT --to-ports 4140",
      "",
    ].join("\n"),
  );
});

test("ranges use iptables' colon and count twice: more than 15 slots split into several rules", () => {
  const ports = Array.from({ length: 14 }, (_, i) => String(8000 + i));
  const rules = iptablesRules(
    parseIptablesArgs([
      "--proxy-port",
      "15001",
      "--proxy-user",
      "1337",
      "--ports",
      [...ports, "9000-9100"].join(","),
    ]),
  );
  const v4 = rules.filter((r) => r.startsWith("iptables "));
  assert.equal(v4.length, 3);
  assert.equal(v4[0], "iptables -t nat -A OUTPUT -p tcp -m owner --uid-owner 1337 -j RETURN");
  assert.equal(
    v4[1],
    `iptables -t nat -A OUTPUT -p tcp -m multiport --dports ${ports.join(",")} -j REDIRECT --to-ports 15001`,
  );
  assert.equal(
    v4[2],
    "iptables -t nat -A OUTPUT -p tcp -m multiport --dports 9000:9100 -j REDIRECT --to-ports 15001",
  );
  assert.deepEqual(
    rules.filter((r) => r.startsWith("ip6tables ")),
    v4.map((r) => r.replace(/^iptables/, "ip6tables")),
  );
});

test("bad arguments are usage errors that name the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["--proxy-user", "nobody", "--ports", "80"], /--proxy-port is required/],
    [["--proxy-port", "0", "--proxy-user", "nobody", "--ports", "80"], /--proxy-port must be a port/],
    [["--proxy-port", "4140", "--ports", "80"], /--proxy-user is required/],
    [["--proxy-port", "4140", "--proxy-user", "no body", "--ports", "80"], /--proxy-user must be/],
    [["--proxy-port", "4140", "--proxy-user", "nobody"], /--ports is required/],
    [["--proxy-port", "4140", "--proxy-user", "nobody", "--ports", "80,x"], /--ports must be a port/],
    [["--proxy-port", "4140", "--proxy-user", "nobody", "--ports", "90-80"], /runs backwards/],
    [["--proxy-port", "4140", "--proxy-user", "nobody", "--ports", "80", "--what"], /Unknown option/],
  ];
  for (const [args, message] of cases)
    assert.throws(
      () => parseIptablesArgs(args),
      (e: Error) => e instanceof IptablesUsageError && message.test(e.message),
    );
  const { code, stdout, stderr } = await runWeir(["iptables", "--proxy-port", "4140"]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(stderr, /--proxy-user is required/);
  assert.match(stderr, /Usage: weir iptables/);
});
