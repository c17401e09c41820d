// Test support: builds ClientHello bytes from parts, and re-frames handshake bytes into records, so that
// tests can state exactly which field is wrong. Used only by the tests beside it.

export type ExtensionSpec = [type: number, data: Buffer];

export interface HelloSpec {
  legacyVersion?: number;
  sessionId?: Buffer;
  cipherSuites?: number[];
  compression?: number[];
  /** null leaves the extension block out entirely (legal before TLS 1.3). */
  extensions?: ExtensionSpec[] | null;
}

export function u8Vector(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([data.length]), data]);
}

export function u16Vector(data: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(data.length);
  return Buffer.concat([prefix, data]);
}

export function u16List(values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => {
    out.writeUInt16BE(v, i * 2);
  });
  return out;
}

export function extensionBlock(extensions: ExtensionSpec[]): Buffer {
  const parts = extensions.map(([type, data]) => Buffer.concat([u16List([type]), u16Vector(data)]));
  return u16Vector(Buffer.concat(parts));
}

export function helloBody(spec: HelloSpec = {}): Buffer {
  const extensions = spec.extensions === undefined ? [serverNameExtension("example.com")] : spec.extensions;
  return Buffer.concat([
    u16List([spec.legacyVersion ?? 0x0303]),
    Buffer.alloc(32, 0xab),
    u8Vector(spec.sessionId ?? Buffer.alloc(32, 0x11)),
    u16Vector(u16List(spec.cipherSuites ?? [0x1301, 0x1302])),
    u8Vector(Buffer.from(spec.compression ?? [0])),
    extensions === null ? Buffer.alloc(0) : extensionBlock(extensions),
  ]);
}

/** A handshake message: msg_type(1) length(3) body. */
export function handshakeMessage(body: Buffer, msgType = 1): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  header[0] = msgType;
  return Buffer.concat([header, body]);
}

/** Splits handshake bytes into handshake records of at most `recordSize` payload bytes. */
export function frameRecords(handshake: Buffer, recordSize = 16384, recordVersion = 0x0301): Buffer {
  const parts: Buffer[] = [];
  for (let start = 0; start < handshake.length; start += recordSize) {
    const fragment = handshake.subarray(start, start + recordSize);
    const header = Buffer.from([22, recordVersion >> 8, recordVersion & 0xff, 0, 0]);
    header.writeUInt16BE(fragment.length, 3);
    parts.push(header, fragment);
  }
  return Buffer.concat(parts);
}

/** Records built from a spec, in one record. */
export function helloRecords(spec: HelloSpec = {}): Buffer {
  return frameRecords(handshakeMessage(helloBody(spec)));
}

/** The handshake bytes carried by well-formed records (their payloads, concatenated). */
export function unframeRecords(records: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 5 <= records.length) {
    const length = records.readUInt16BE(offset + 3);
    parts.push(records.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
  }
  return Buffer.concat(parts);
}

export function serverNameExtension(name: string | Buffer, nameType = 0): ExtensionSpec {
  const bytes = typeof name === "string" ? Buffer.from(name, "latin1") : name;
  return [0, u16Vector(Buffer.concat([Buffer.from([nameType]), u16Vector(bytes)]))];
}

export function alpnExtension(names: string[]): ExtensionSpec {
  return [16, u16Vector(Buffer.concat(names.map((n) => u8Vector(Buffer.from(n, "latin1")))))];
}

export function supportedVersionsExtension(versions: number[]): ExtensionSpec {
  return [43, u8Vector(u16List(versions))];
}
