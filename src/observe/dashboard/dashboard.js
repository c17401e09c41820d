// weir's dashboard: polls the admin API of the page's own origin (/metrics, /status, /logs) and redraws.
// Rates and latency percentiles come from the difference between two scrapes of the Prometheus counters
// and histograms, so they describe the last poll interval. No framework, no build step, no CDN.

const METRICS_MS = 1000;
const STATUS_MS = 2000;
const HISTORY = 120;

const state = { token: sessionStorage.getItem("weir-admin-token") ?? "", previous: undefined, history: [] };

/** Prometheus text format 0.0.4 → [{ name, labels, value }]. */
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const labels = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (const l of (m[3] ?? "").matchAll(re))
      labels[l[1]] = l[2].replace(/\\n/g, "\n").replace(/\\(.)/g, "$1");
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return samples;
}

async function api(path) {
  const headers = state.token ? { authorization: `Bearer ${state.token}` } : {};
  const res = await fetch(path, { headers, cache: "no-store" });
  if (res.status === 401) {
    document.getElementById("token-form").hidden = false;
    throw new Error("the admin API asks for a token");
  }
  if (!res.ok && res.status !== 503) throw new Error(`${path}: ${res.status}`);
  return res;
}

function sum(samples, name, match = {}) {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** Cumulative buckets (le → count) of one histogram, summed over series matching `match`. */
function buckets(samples, name, match = {}) {
  const byLe = new Map();
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue;
    if (!Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue;
    const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]);
}

/** The q-quantile from the difference of two cumulative bucket lists, interpolated within its bucket. */
function quantile(q, now, before) {
  const prev = new Map(before);
  const diff = now.map(([le, c]) => [le, c - (prev.get(le) ?? 0)]);
  const total = diff.length ? diff[diff.length - 1][1] : 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of diff) {
    if (count >= rank) {
      if (le === Infinity) return lower;
      const inBucket = count - below;
      return inBucket > 0 ? lower + ((le - lower) * (rank - below)) / inBucket : le;
    }
    lower = le === Infinity ? lower : le;
    below = count;
  }
  return lower;
}

function ms(seconds) {
  if (seconds === undefined) return "–";
  return seconds < 1 ? `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)} ms` : `${seconds.toFixed(2)} s`;
}

function fmtRate(x) {
  return x === undefined ? "–" : x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

function fmtBytes(n) {
  if (!n) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function fill(tableId, rows) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren(...rows);
}

function row(cells, attrs = {}) {
  const tr = document.createElement("tr");
  for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
  tr.append(...cells);
  return tr;
}

function showError(message) {
  const el = document.getElementById("error");
  el.hidden = message === undefined;
  el.textContent = message ?? "";
}

async function pollMetrics() {
  const samples = parseMetrics(await (await api("/metrics")).text());
  const now = performance.now();
  const prev = state.previous;
  state.previous = { at: now, samples };
  if (prev === undefined) return;
  const dt = (now - prev.at) / 1000;
  const rate = (name, match) => Math.max(0, sum(samples, name, match) - sum(prev.samples, name, match)) / dt;

  const rps = rate("weir_http_requests_total");
  const errors = rate("weir_http_requests_total", { status: "5xx" });
  document.getElementById("total-rps").textContent = fmtRate(rps);
  document.getElementById("total-rps").dataset.value = String(rps);
  document.getElementById("total-errors").textContent =
    rps > 0 ? `${((errors / rps) * 100).toFixed(1)} %` : `${fmtRate(errors)}/s`;
  const all = buckets(samples, "weir_http_request_duration_seconds");
  const allBefore = buckets(prev.samples, "weir_http_request_duration_seconds");
  document.getElementById("total-latency").textContent = [0.5, 0.9, 0.99]
    .map((q) => ms(quantile(q, all, allBefore)))
    .join(" / ");

  const listeners = new Map();
  for (const s of samples) {
    if (s.name === "weir_connections_active")
      listeners.set(s.labels.listener, (listeners.get(s.labels.listener) ?? 0) + s.value);
  }
  document.getElementById("total-connections").textContent = String(
    [...listeners.values()].reduce((a, b) => a + b, 0),
  );
  document.getElementById("connections-by-listener").textContent = [...listeners]
    .map(([name, n]) => `${name}: ${n}`)
    .join(" · ");

  const routes = new Map();
  for (const s of samples) {
    if (s.name === "weir_http_requests_total") routes.set(s.labels.route, s.labels.upstream);
  }
  fill(
    "routes",
    [...routes].map(([route, upstream]) => {
      const r = rate("weir_http_requests_total", { route });
      const e = rate("weir_http_requests_total", { route, status: "5xx" });
      const b = buckets(samples, "weir_http_request_duration_seconds", { route });
      const bb = buckets(prev.samples, "weir_http_request_duration_seconds", { route });
      return row(
        [
          cell(route || "(none)"),
          cell(upstream || "–"),
          cell(fmtRate(r)),
          cell(r > 0 ? `${((e / r) * 100).toFixed(1)} %` : "–"),
          cell(ms(quantile(0.5, b, bb))),
          cell(ms(quantile(0.99, b, bb))),
          cell(String(sum(samples, "weir_http_requests_total", { route }))),
        ],
        { "data-route": route, "data-rps": String(r) },
      );
    }),
  );

  state.history.push(rps);
  if (state.history.length > HISTORY) state.history.shift();
  drawChart();
}

function drawChart() {
  const canvas = document.getElementById("rps-chart");
  const ctx = canvas.getContext("2d");
  const w = canvas.width;
  const h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const max = Math.max(1, ...state.history);
  ctx.strokeStyle = "#0a66c2";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  state.history.forEach((v, i) => {
    const x = (i / (HISTORY - 1)) * w;
    const y = h - 2 - (v / max) * (h - 4);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
}

async function pollStatus() {
  const status = await (await api("/status")).json();
  document.getElementById("instance").textContent =
    `v${status.version} · up ${duration(status.uptime_seconds)} · generation ${status.generation} · ${status.workers.length} workers`;
  fill(
    "endpoints",
    status.upstreams.flatMap((u) =>
      u.endpoints.map((e) =>
        row(
          [
            cell(u.name),
            cell(e.address),
            cell(e.state, `state-${e.state}`),
            cell(String(e.pool_in_use)),
            cell(String(e.pool_idle)),
          ],
          { "data-upstream": u.name, "data-endpoint": e.address, "data-state": e.state },
        ),
      ),
    ),
  );
  fill(
    "certificates",
    status.certificates.map((c) => {
      const days = c.days_left;
      const cls = days === undefined ? "" : days < 0 ? "expired" : days < 14 ? "expiring" : "";
      return row(
        [
          cell(c.where),
          cell(c.names?.join(", ") ?? c.error ?? ""),
          cell(c.not_after ? c.not_after.slice(0, 10) : "–"),
          cell(days === undefined ? "–" : String(days), cls),
        ],
        { "data-days-left": String(days ?? "") },
      );
    }),
  );
  fill(
    "workers",
    status.workers.map((w) =>
      row([
        cell(String(w.worker)),
        cell(String(w.generation)),
        cell(String(w.pid ?? "–")),
        cell(w.state),
        cell(fmtBytes(w.rss_bytes)),
        cell(ms(w.event_loop_delay_p99_seconds)),
      ]),
    ),
  );
  const ready = await (await api("/readyz")).json();
  const badge = document.getElementById("ready");
  badge.textContent = ready.ready ? "ready" : "not ready";
  badge.className = `badge ${ready.ready ? "ok" : "bad"}`;
  badge.title = ready.checks.map((c) => `${c.name}: ${c.detail ?? (c.ok ? "ok" : "failed")}`).join("\n");
}

async function pollWarnings() {
  const { lines } = await (await api("/logs?level=warn&limit=50")).json();
  const list = document.getElementById("warnings");
  list.replaceChildren(
    ...lines.reverse().map((l) => {
      const li = document.createElement("li");
      li.className = `level-${l.level}`;
      const where = l.role ?? (l.worker !== undefined ? `worker ${l.worker}` : "");
      const context = ["listener", "upstream", "endpoint", "code", "err"]
        .filter((k) => l[k] !== undefined)
        .map((k) => `${k}=${typeof l[k] === "object" ? JSON.stringify(l[k]) : l[k]}`)
        .join(" ");
      li.textContent = `${l.time} ${String(l.level).toUpperCase()} ${where} ${l.msg} ${context}`;
      return li;
    }),
  );
}

function duration(seconds) {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

function every(ms, fn) {
  const run = async () => {
    try {
      await fn();
      showError(undefined);
      document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      showError(err.message);
    }
    setTimeout(run, ms);
  };
  run();
}

document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.token = document.getElementById("token").value;
  sessionStorage.setItem("weir-admin-token", state.token);
  document.getElementById("token-form").hidden = true;
});

every(METRICS_MS, pollMetrics);
every(STATUS_MS, pollStatus);
every(STATUS_MS, pollWarnings);
