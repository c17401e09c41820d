// One certificate order, RFC 8555 §7.4: new order for the names → each pending authorization proven
// by the certificate's challenge type (in parallel; every answer removed again, whatever happened) →
// finalize with a CSR for a fresh key → download the chain as issued.
import { generateKeyPairSync } from "node:crypto";
import type acme from "acme-client";
import type { AcmeCertificateConfig } from "../config/schema/acme.ts";
import type { ChallengeParams, ChallengeSolver } from "./challenges/types.ts";
import { AcmeError, asAcmeError } from "./errors.ts";

export interface OrderOptions {
  /** ARI (RFC 9773 §5): the certificate this order replaces. Dropped if the CA refuses it. */
  replaces?: string;
  /** Called when removing a challenge answer failed (the order itself goes on). */
  onCleanupError?: (err: unknown) => void;
}

export interface Issued {
  key: string;
  chain: string;
}

/** Orders one certificate. Rejects with AcmeError ("CA", "CHALLENGE" or "CERTIFICATE"). */
export async function orderCertificate(
  client: acme.Client,
  cert: AcmeCertificateConfig,
  solver: ChallengeSolver,
  opts: OrderOptions = {},
): Promise<Issued> {
  const identifiers = cert.names.map((value) => ({ type: "dns" as const, value }));
  let order: acme.Order;
  try {
    order = await createOrder(client, identifiers, opts.replaces);
  } catch (err) {
    throw asAcmeError(err, "CA", "new order");
  }
  let authorizations: acme.Authorization[];
  try {
    authorizations = await client.getAuthorizations(order);
  } catch (err) {
    throw asAcmeError(err, "CA", "authorizations");
  }
  const results = await Promise.allSettled(
    authorizations.map((authz) => proveAuthorization(client, authz, solver, opts)),
  );
  const failed = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
  if (failed.length > 0) throw asAcmeError(failed[0], "CHALLENGE", "authorization");

  const key = privateKeyPem(cert.key_type);
  try {
    const { crypto } = (await import("acme-client")).default;
    const common = cert.names.find((n) => n.length <= 64);
    const [, csr] = await crypto.createCsr(
      { ...(common ? { commonName: common } : {}), altNames: [...cert.names] },
      key,
    );
    order = await client.finalizeOrder(order, csr);
    if (order.status !== "valid") order = await client.waitForValidStatus(order);
    return { key, chain: await client.getCertificate(order) };
  } catch (err) {
    throw asAcmeError(err, "CA", "finalize");
  }
}

async function createOrder(
  client: acme.Client,
  identifiers: { type: "dns"; value: string }[],
  replaces: string | undefined,
): Promise<acme.Order> {
  if (replaces === undefined) return client.createOrder({ identifiers });
  try {
    return await client.createOrder({ identifiers, replaces } as never);
  } catch {
    // A CA may refuse `replaces` (already replaced, unknown); an order without it is still right.
    return client.createOrder({ identifiers });
  }
}

async function proveAuthorization(
  client: acme.Client,
  authz: acme.Authorization,
  solver: ChallengeSolver,
  opts: OrderOptions,
): Promise<void> {
  if (authz.status === "valid") return;
  const name = `${authz.wildcard ? "*." : ""}${authz.identifier.value}`;
  const challenge = authz.challenges.find((c) => c.type === solver.type);
  if (challenge === undefined)
    throw new AcmeError("CHALLENGE", `${name}: the CA offers no ${solver.type} challenge`);
  let params: ChallengeParams;
  try {
    params = {
      domain: authz.identifier.value,
      wildcard: authz.wildcard === true,
      token: (challenge as { token: string }).token,
      keyAuthorization: await client.getChallengeKeyAuthorization(challenge),
    };
  } catch (err) {
    throw asAcmeError(err, "CHALLENGE", name);
  }
  try {
    await solver.present(params);
    await client.completeChallenge(challenge);
    await client.waitForValidStatus(authz);
  } catch (err) {
    throw asAcmeError(err, "CHALLENGE", `${name} (${solver.type})`);
  } finally {
    await solver.cleanup(params).catch((err: unknown) => opts.onCleanupError?.(err));
  }
}

/** A new private key (PKCS#8 PEM) of the configured type. */
export function privateKeyPem(type: AcmeCertificateConfig["key_type"]): string {
  const encoding = {
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  } as const;
  switch (type) {
    case "ecdsa-p384":
      return generateKeyPairSync("ec", { namedCurve: "P-384", ...encoding }).privateKey;
    case "rsa-2048":
      return generateKeyPairSync("rsa", { modulusLength: 2048, ...encoding }).privateKey;
    case "rsa-4096":
      return generateKeyPairSync("rsa", { modulusLength: 4096, ...encoding }).privateKey;
    default:
      return generateKeyPairSync("ec", { namedCurve: "P-256", ...encoding }).privateKey;
  }
}
