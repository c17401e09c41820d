// DNS-01 through the operator's commands: `present` publishes the TXT record, `cleanup` removes it.
// Each runs through /bin/sh in `cwd` (the config's folder by default) with the record in its
// environment: WEIR_ACME_RECORD ("_acme-challenge.example.com."), WEIR_ACME_VALUE (the TXT value) and
// WEIR_ACME_NAME (the certificate name, "*.example.com" for a wildcard). Exit status 0 means done.
import { spawn } from "node:child_process";
import type { DnsHookConfig } from "../../config/schema/acme.ts";
import { AcmeError } from "../errors.ts";
import { type ChallengeParams, type ChallengeSolver, dnsRecordName } from "./types.ts";

/** The last bytes of a command's output kept for the error message. */
const OUTPUT_TAIL = 2_000;

export function dnsHookSolver(hook: DnsHookConfig, propagationWaitMs: number): ChallengeSolver {
  return {
    type: "dns-01",
    async present(p) {
      await runHook(hook, hook.present, p);
      if (propagationWaitMs > 0) await new Promise((r) => setTimeout(r, propagationWaitMs));
    },
    async cleanup(p) {
      await runHook(hook, hook.cleanup, p);
    },
  };
}

/** Runs one command; rejects with AcmeError("CHALLENGE") on a non-zero exit, a signal or the timeout. */
export function runHook(hook: DnsHookConfig, command: string, p: ChallengeParams): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], {
      cwd: hook.cwd,
      env: {
        ...process.env,
        WEIR_ACME_RECORD: dnsRecordName(p.domain),
        WEIR_ACME_VALUE: p.keyAuthorization,
        WEIR_ACME_NAME: p.wildcard ? `*.${p.domain}` : p.domain,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), hook.timeout);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new AcmeError("CHALLENGE", `dns hook "${command}": ${err.message}`, { cause: err }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const why = signal
        ? `killed by ${signal}${signal === "SIGKILL" ? " (timeout?)" : ""}`
        : `exit status ${code}`;
      reject(
        new AcmeError("CHALLENGE", `dns hook "${command}": ${why}${output ? `: ${output.trim()}` : ""}`),
      );
    });
  });
}
