// HTTP-01 and TLS-ALPN-01 are answered by the workers' own listeners: the solver puts the answer on
// the board, which publishes it to every worker, and resolves once they all have it.
import acme from "acme-client";
import type { ChallengeBoard } from "../board.ts";
import { AcmeError } from "../errors.ts";
import type { ChallengeSolver } from "./types.ts";

/** RFC 8555 §8.3: GET /.well-known/acme-challenge/<token> answers the key authorization. */
export function http01Solver(board: ChallengeBoard): ChallengeSolver {
  return {
    type: "http-01",
    present: (p) => board.addHttp01(p.token, p.keyAuthorization),
    cleanup: (p) => board.removeHttp01(p.token),
  };
}

/**
 * RFC 8737 §3: a TLS handshake with ALPN "acme-tls/1" and SNI = the name gets a self-signed
 * certificate for it with the critical acmeIdentifier extension (SHA-256 of the key authorization).
 */
export function tlsAlpn01Solver(board: ChallengeBoard): ChallengeSolver {
  return {
    type: "tls-alpn-01",
    async present(p) {
      let key: Buffer;
      let cert: Buffer;
      try {
        const ecKey = await acme.crypto.createPrivateEcdsaKey("P-256");
        [key, cert] = await acme.crypto.createAlpnCertificate(
          { identifier: { type: "dns", value: p.domain } } as never,
          p.keyAuthorization,
          ecKey,
        );
      } catch (err) {
        throw new AcmeError(
          "CHALLENGE",
          `TLS-ALPN-01 certificate for ${p.domain}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      await board.addAlpn({ name: p.domain, key: key.toString(), cert: cert.toString() });
    },
    cleanup: (p) => board.removeAlpn(p.domain),
  };
}
