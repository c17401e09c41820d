// A bounds-checked cursor over a slice of a Buffer, for the length-prefixed vectors of the TLS
// presentation language (RFC 8446 §3.4). A read past the end never touches the buffer: it returns -1 or
// undefined so that the caller turns it into a typed parse error.

export class ByteReader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Reads a uint8, or returns -1 when no byte is left. */
  u8(): number {
    if (this.pos + 1 > this.end) return -1;
    return this.buf[this.pos++]!;
  }

  /** Reads a big-endian uint16, or returns -1 when fewer than 2 bytes are left. */
  u16(): number {
    if (this.pos + 2 > this.end) return -1;
    const value = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return value;
  }

  /** Skips `n` bytes; false when fewer are left. */
  skip(n: number): boolean {
    if (n < 0 || this.pos + n > this.end) return false;
    this.pos += n;
    return true;
  }

  /**
   * Reads a vector whose length prefix is `prefixBytes` (1 or 2) long and returns a reader over its
   * contents, or undefined when the prefix or the contents run past the end.
   */
  vector(prefixBytes: 1 | 2): ByteReader | undefined {
    const length = prefixBytes === 1 ? this.u8() : this.u16();
    if (length < 0 || this.pos + length > this.end) return undefined;
    const inner = new ByteReader(this.buf, this.pos, this.pos + length);
    this.pos += length;
    return inner;
  }

  /** The bytes from the cursor to the end, as a view. */
  rest(): Buffer {
    return this.buf.subarray(this.pos, this.end);
  }
}
