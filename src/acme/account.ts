// The ACME account (RFC 8555 §7.3): its key is made once and kept in the state folder; the account is
// registered with it (terms accepted, contact, External Account Binding when configured) on first use,
// and its URL kept beside it (account.json) for the operator.

import { readFileSync } from "node:fs";
import { Agent, get as httpsGet } from "node:https";
import acme from "acme-client";
import { type AcmeConfig, directoryUrl } from "../config/schema/acme.ts";
import { AcmeError, asAcmeError } from "./errors.ts";
import type { AcmeStore } from "./store.ts";

/** acme-client's HTTP retry of 5xx and network errors: 2 tries 1 s apart, so a dead CA fails fast and
 * the manager's own backoff (retry_min..retry_max) decides when to try again. */
const HTTP_RETRIES = 2;
const HTTP_RETRY_DELAY_S = 1;
const HTTP_TIMEOUT_MS = 30_000;

/**
 * Points acme-client's HTTP client (one per process: only the supervisor uses it) at the CA, trusting
 * `directory_ca` when set. Throws AcmeError("STATE") when that file cannot be read.
 */
export function configureHttp(config: AcmeConfig): void {
  const axios = acme.axios;
  let ca: Buffer | undefined;
  if (config.directory_ca !== undefined) {
    try {
      ca = readFileSync(config.directory_ca);
    } catch (err) {
      throw new AcmeError("STATE", `cannot read directory_ca: ${(err as Error).message}`, { cause: err });
    }
  }
  axios.defaults.httpsAgent = new Agent({ keepAlive: true, ...(ca ? { ca } : {}) });
  axios.defaults.timeout = HTTP_TIMEOUT_MS;
  const settings = (axios.defaults as unknown as { acmeSettings: Record<string, number> }).acmeSettings;
  settings.retryMaxAttempts = HTTP_RETRIES;
  settings.retryDefaultDelay = HTTP_RETRY_DELAY_S;
}

/** An acme-client Client for the configured account, registering it if needed. Throws AcmeError. */
export async function openAccount(config: AcmeConfig, store: AcmeStore): Promise<acme.Client> {
  const directory = directoryUrl(config.directory);
  let accountKey = store.readAccountKey();
  if (accountKey === undefined) {
    try {
      accountKey = await acme.crypto.createPrivateEcdsaKey("P-256");
    } catch (err) {
      throw asAcmeError(err, "STATE", "account key");
    }
    accountKey = store.saveAccountKey(accountKey);
  }
  const known = store.readAccount();
  const client = new acme.Client({
    directoryUrl: directory,
    accountKey,
    ...(config.eab ? { externalAccountBinding: { kid: config.eab.kid, hmacKey: config.eab.hmac_key } } : {}),
    // Polling of pending challenges and orders (RFC 8555 §7.5.1): every 0.5-5 s, for about 2 minutes.
    backoffAttempts: 30,
    backoffMin: 500,
    backoffMax: 5_000,
  });
  // newAccount with a key the CA knows returns that account (RFC 8555 §7.3.1): asking each time a client
  // is opened (start, or after a failure) never makes a second account, and finds out when a CA has
  // forgotten ours (a test CA restarted, an account deactivated) so that a new one is registered.
  try {
    await client.createAccount({
      termsOfServiceAgreed: config.accept_terms,
      ...(config.email ? { contact: [`mailto:${config.email}`] } : {}),
    });
  } catch (err) {
    throw asAcmeError(err, "CA", `account registration at ${directory}`);
  }
  const url = client.getAccountUrl();
  if (known?.directory !== directory || known.url !== url) store.saveAccount({ directory, url });
  return client;
}

/** The directory's renewalInfo URL (RFC 9773 §3), when the CA offers ARI. */
export async function renewalInfoUrl(directory: string): Promise<string | undefined> {
  try {
    const res = await acme.axios.get(directoryUrl(directory));
    const url = (res.data as { renewalInfo?: unknown })?.renewalInfo;
    return res.status === 200 && typeof url === "string" ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why the CA cannot be reached, or undefined when its directory answers. acme-client loses the cause of
 * a network error after its retries (it reports a TypeError), so the manager asks this to say what
 * went wrong (ECONNREFUSED, a certificate the directory_ca does not sign, a timeout).
 */
export function probeDirectory(directory: string): Promise<string | undefined> {
  const url = directoryUrl(directory);
  return new Promise((resolve) => {
    const req = httpsGet(url, { agent: acme.axios.defaults.httpsAgent as Agent, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? undefined : `${url}: HTTP ${res.statusCode}`);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err: NodeJS.ErrnoException) =>
      resolve(`${url}: ${err.code ?? ""} ${err.message}`.trim()),
    );
  });
}
