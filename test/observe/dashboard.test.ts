// The dashboard in a real browser: Debian's headless Chromium, driven by playwright-core, loads GET / of
// the admin listener while traffic flows; the page shows the request rate rising, then an endpoint marked
// down once its origin stops. A screenshot of the page is saved in test-artifacts/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../lib/weir-process.ts";
import { freePort, runWeir, selfSigned, startOrigin } from "./harness.ts";
import { eventually, http } from "./lib.ts";

/** The page's `document`, as far as the functions this test runs in the page use it. */
declare const document: {
  getElementById(id: string): { dataset: Record<string, string | undefined> } | null;
};

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

test("the dashboard shows live traffic and endpoint health", { timeout: 90_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    const why = `needs ${CHROMIUM} (apt-get install chromium; installed by .ci/run)`;
    if (process.env.CI === "true") throw new Error(`${why}: missing on CI`);
    t.skip(why);
    return;
  }
  const { chromium } = await import("playwright-core");
  const a = await startOrigin();
  const b = await startOrigin();
  t.after(() => a.close());
  t.after(() => b.close().catch(() => {}));
  const webPort = await freePort();
  const securePort = await freePort();
  const cert = selfSigned("dash.test", 45);
  const weir = await runWeir(
    `
[admin]
listen = "127.0.0.1:0"

[access_log]
output = "{{dir}}/access.log"

[listeners.web]
address = "127.0.0.1:${webPort}"

[listeners.secure]
address = "127.0.0.1:${securePort}"
[listeners.secure.tls]
certificates = [{ cert = "${cert.cert}", key = "${cert.key}" }]

[[routes]]
name = "app"
upstream = "origin"

[upstreams.origin]
endpoints = ["127.0.0.1:${a.port}", "127.0.0.1:${b.port}"]
health = { http_path = "/healthz", interval = "250ms", timeout = "200ms", rise = 1, fall = 1 }
`,
    2,
  );
  t.after(async () => {
    assert.equal(await weir.weir.stop(), 0);
  });

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await page.goto(`http://127.0.0.1:${weir.adminPort}/`);

  // Idle first: the page has drawn a rate, and it is zero.
  // Read through locators, polled from here: the page's CSP forbids the eval that waitForFunction needs.
  const rate = async () => {
    const v = await page.locator("#total-rps").getAttribute("data-value");
    return v === null ? undefined : Number(v);
  };
  const idle = await eventually(rate, "a first rate on the page");
  assert.equal(idle, 0);
  await page.locator('tr[data-endpoint][data-state="up"]').nth(1).waitFor({ timeout: 10_000 });

  // Traffic: a steady stream of requests until the test ends.
  let flowing = true;
  const load = (async () => {
    while (flowing) {
      await Promise.all(Array.from({ length: 5 }, () => http(webPort, "/").catch(() => undefined)));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  t.after(async () => {
    flowing = false;
    await load;
  });
  await eventually(async () => ((await rate()) ?? 0) > 20, "the rate on the page above 20/s", 15_000);
  const busy = (await rate()) as number;
  assert.ok(busy > idle, `the rate rose: ${idle} → ${busy}`);
  await page.locator('tr[data-route="app"]').waitFor();
  assert.ok(Number(await page.locator('tr[data-route="app"]').getAttribute("data-rps")) > 0);

  // One endpoint goes down: the page marks it, the other stays up.
  await b.close();
  const down = page.locator(`tr[data-endpoint="127.0.0.1:${b.port}"][data-state="down"]`);
  await down.waitFor({ timeout: 15_000 });
  assert.equal(
    await page.locator(`tr[data-endpoint="127.0.0.1:${a.port}"]`).getAttribute("data-state"),
    "up",
  );
  // The certificate, with its days to expiry, and the latency percentiles.
  const days = Number(await page.locator("#certificates tbody tr").first().getAttribute("data-days-left"));
  assert.ok(days === 44 || days === 45, `days left: ${days}`);
  assert.match((await page.locator("#total-latency").textContent()) ?? "", /ms/);
  // Traffic still flows through the healthy endpoint.
  assert.equal((await http(webPort, "/")).status, 200);

  const dir = join(ROOT, "test-artifacts");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, "dashboard.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
});
