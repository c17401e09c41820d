// The head of a request to an upstream, as one latin1 string: request line, the end-to-end fields the
// engine kept, Host when the client sent none, and the body's framing (RFC 9112 §6). Field values can
// come from filters and TypeScript modules, so every line is checked here: a CR, LF or NUL in a value or
// a space in the target would let one request smuggle another to the upstream.
import { HttpError } from "../../http/errors.ts";
import { FIELD_NAME, fieldNameKey } from "../../http/field-syntax.ts";

const METHOD = FIELD_NAME;
const BAD_VALUE = /[\0\r\n]/;
/** What undici also refuses in a request target: controls, space and DEL (RFC 9112 §3.2). */
const BAD_TARGET = /[^\u0021-\u007e\u0080-\u00ff]/;

/** How the request body is framed on the wire. */
export type BodyFraming = "none" | "length" | "chunked";

export interface RequestHead {
  text: string;
  framing: BodyFraming;
}

/**
 * `hasBody`: a body stream follows. Its Content-Length, when the fields carry one, frames it; without one
 * it is sent chunked. Methods that define a body (POST, PUT, PATCH) without one say `content-length: 0`,
 * as undici does, so an upstream never waits for a body that is not coming.
 */
export function requestHead(
  method: string,
  path: string,
  fields: readonly string[],
  hostFallback: string,
  hasBody: boolean,
): RequestHead {
  if (!METHOD.test(method)) throw new HttpError("INTERNAL", new Error("invalid request method"));
  if (path.length === 0 || BAD_TARGET.test(path))
    throw new HttpError("INTERNAL", new Error("invalid request target"));
  let text = `${method} ${path} HTTP/1.1\r\n`;
  let host = false;
  let length = false;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    const key = fieldNameKey(name);
    if (key === undefined || BAD_VALUE.test(value)) {
      throw new HttpError("INTERNAL", new Error(`invalid request field ${JSON.stringify(name)}`));
    }
    if (key === "host") host = true;
    else if (key === "content-length") {
      // Without a body (an HTTP/2 request that ended with its head) only a zero length is true.
      if (!hasBody && value !== "0") continue;
      length = true;
    }
    text += `${name}: ${value}\r\n`;
  }
  if (!host) text += `host: ${hostFallback}\r\n`;
  let framing: BodyFraming = "none";
  if (hasBody) {
    if (length) framing = "length";
    else {
      framing = "chunked";
      text += "transfer-encoding: chunked\r\n";
    }
  } else if (!length && (method === "POST" || method === "PUT" || method === "PATCH")) {
    text += "content-length: 0\r\n";
  }
  return { text: `${text}\r\n`, framing };
}
