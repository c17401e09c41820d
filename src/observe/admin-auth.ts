// The admin API's optional bearer token (RFC 6750 §2.1). Compared in constant time; a missing or wrong
// token gets 401 with a WWW-Authenticate challenge (RFC 6750 §3).
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export type TokenCheck = (req: IncomingMessage) => boolean;

export function tokenCheck(token: string | undefined): TokenCheck {
  if (token === undefined) return () => true;
  // Hashing both sides gives equal lengths, which timingSafeEqual needs, without leaking the length.
  const expected = createHash("sha256").update(token).digest();
  return (req) => {
    const header = req.headers.authorization;
    if (header === undefined) return false;
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (m === null) return false;
    return timingSafeEqual(
      createHash("sha256")
        .update(m[1] as string)
        .digest(),
      expected,
    );
  };
}
