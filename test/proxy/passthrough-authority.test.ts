// TLS passed through untouched by SNI to an upstream with proxy_protocol = "v2": weir never sees the
// session, but it read the server name from the ClientHello, and the header carries it as AUTHORITY
// (issue 5: "v2 carries ... where known, ... AUTHORITY (the SNI)"). The TLS bytes follow unchanged.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { requirePrograms } from "../lib/peers.ts";
import { tempDir } from "../lib/weir-process.ts";
import { makeCa, makeLeaf } from "../tls/certs.ts";
import { type Arrival, headerOrigin, startWeir } from "./harness.ts";

test("TLS passthrough: the v2 header carries the ClientHello's SNI as AUTHORITY", async (t) => {
  if (!requirePrograms(t, "openssl")) return;
  const ca = makeCa(join(tempDir("weir-pp-pass-"), "pki"));
  const leaf = makeLeaf(ca, "edge", ["edge.test"]);
  const arrived = new Promise<Arrival>((resolve) => {
    void headerOrigin(t, (a) => {
      resolve(a);
      a.socket.destroy();
    }).then((origin) =>
      startWeir(
        t,
        `
[listeners.edge]
address = "127.0.0.1:0"
protocol = "auto"
[listeners.edge.tls]
certificates = [{ cert = "${leaf.cert}", key = "${leaf.key}" }]
[[routes]]
sni = "db.test"
passthrough = true
upstream = "db"
[upstreams.db]
endpoints = ["127.0.0.1:${origin.port}"]
proxy_protocol = "v2"
`,
        "edge",
      ).then((weir) => {
        const client = tlsConnect({
          port: weir.port,
          host: "127.0.0.1",
          servername: "db.test",
          rejectUnauthorized: false,
        });
        client.on("error", () => {});
        t.after(() => client.destroy());
      }),
    );
  });
  const a = await arrived;
  assert.equal(a.header?.command, "proxy");
  assert.equal(a.header?.authority, "db.test");
  assert.equal(a.rest[0], 0x16, "the client's TLS record follows the header untouched");
});
