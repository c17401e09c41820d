// Active health checks of one upstream: every `interval`, each endpoint of the current set is probed
// (never two probes of one endpoint at once). `rise` passes in a row bring an endpoint up, `fall` failures
// in a row take it down; each transition is reported once.
import type { HealthConfig } from "../../config/schema/health.ts";
import type { Endpoint } from "../endpoint.ts";
import { type HttpProbe, probeHttp, probeTcp } from "./probe.ts";
import type { EndpointState } from "./state.ts";
import { statusRange } from "./status-range.ts";

export interface ActiveHooks {
  /** Written first on every probe connection: the LOCAL PROXY header of a `proxy_protocol` upstream. */
  readonly preamble?: Buffer | undefined;
  /** The current endpoint set (read fresh on every round). */
  endpoints(): readonly Endpoint[];
  stateOf(e: Endpoint): EndpointState;
  /** `e` went up or down by active checks. */
  changed(e: Endpoint, state: EndpointState): void;
}

export class ActiveChecker {
  readonly #config: HealthConfig;
  readonly #hooks: ActiveHooks;
  readonly #http: HttpProbe | undefined;
  readonly #probing = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(config: HealthConfig, hooks: ActiveHooks) {
    this.#config = config;
    this.#hooks = hooks;
    if (config.http_path !== undefined && config.check !== "tcp") {
      const [statusLow, statusHigh] = statusRange(config.expect_status);
      this.#http = {
        method: config.http_method,
        path: config.http_path,
        host: config.http_host,
        statusLow,
        statusHigh,
      };
    }
  }

  start(): void {
    this.round();
    this.#timer = setInterval(() => this.round(), this.#config.interval);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Probes every endpoint not being probed already (also called when new endpoints appear). */
  round(): void {
    for (const e of this.#hooks.endpoints()) {
      if (this.#probing.has(e.key)) continue;
      this.#probing.add(e.key);
      const probe =
        this.#http === undefined
          ? probeTcp(e, this.#config.timeout, this.#hooks.preamble)
          : probeHttp(e, this.#http, this.#config.timeout, this.#hooks.preamble);
      void probe.then((ok) => {
        this.#probing.delete(e.key);
        if (this.#timer !== undefined) this.#record(e, ok);
      });
    }
  }

  #record(e: Endpoint, ok: boolean): void {
    const s = this.#hooks.stateOf(e);
    if (s.active === "unknown") {
      // A new endpoint that starts "unknown" is decided by its first check.
      s.streak = 0;
      s.active = ok ? "healthy" : "unhealthy";
      this.#hooks.changed(e, s);
      return;
    }
    const up = s.active === "healthy";
    if (ok === up) {
      s.streak = 0;
      return;
    }
    s.streak++;
    if (s.streak < (ok ? this.#config.rise : this.#config.fall)) return;
    s.streak = 0;
    s.active = ok ? "healthy" : "unhealthy";
    this.#hooks.changed(e, s);
  }
}
