import assert from "node:assert/strict";
import { SocketAddress } from "node:net";
import { test } from "node:test";
import fc from "fast-check";
import { buildProxyHeaderV1 } from "./build-v1.ts";
import { buildProxyHeaderV2, type ProxyHeaderV2Input } from "./build-v2.ts";
import { parseProxyHeader } from "./parse.ts";
import { expectHeader } from "./parse-result.testkit.ts";
import type { InetEndpoint, ParseOptions, ParseResult, UnixEndpoint } from "./types.ts";
import { V2_SIGNATURE } from "./types.ts";

const RUNS = { numRuns: 300 };

// ---- generators -------------------------------------------------------------------------------

const port = fc.integer({ min: 0, max: 0xffff });
// Plain-prototype records, so that deepStrictEqual can compare them with parsed objects.
const plain = { noNullPrototype: true } as const;
const inet = fc.record(
  { address: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant("::ffff:10.0.0.1")), port },
  plain,
);
const unixPath = fc.oneof(
  fc
    .string({ unit: "grapheme", minLength: 1, maxLength: 30 })
    .filter((s) => !s.includes("\0"))
    .map((s) => `/${s}`),
  fc
    .string({ unit: "grapheme-ascii", minLength: 1, maxLength: 30 })
    .map((s) => `\0${s.replaceAll("\0", "")}x`),
);
const unix = fc.record({ path: unixPath }, plain).filter((u) => Buffer.byteLength(u.path) <= 108);
const ascii = fc.string({ unit: "grapheme-ascii", maxLength: 40 });
const utf8Text = fc.string({ unit: "grapheme", maxLength: 40 });
const rawTlv = fc.record(
  {
    type: fc.oneof(fc.integer({ min: 0xe0, max: 0xff }), fc.constant(0x04)),
    value: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  },
  plain,
);

const endpoints = fc.oneof(
  fc.record({ source: inet, destination: inet }, plain),
  fc.record({ source: unix, destination: unix }, plain),
  fc.constant({}),
);

const v2Input: fc.Arbitrary<ProxyHeaderV2Input> = fc
  .record(
    {
      command: fc.constantFrom("proxy" as const, "local" as const),
      transport: fc.constantFrom("stream" as const, "dgram" as const),
      alpn: ascii,
      authority: utf8Text,
      uniqueId: fc.uint8Array({ maxLength: 128 }),
      ssl: fc.record(
        {
          client: fc.integer({ min: 0, max: 255 }),
          verify: fc.integer({ min: 0, max: 0xffffffff }),
          version: ascii,
          cn: utf8Text,
          cipher: ascii,
          sigAlg: ascii,
          keyAlg: ascii,
          extraTlvs: fc.array(
            rawTlv.map((t) => ({ ...t, type: 0x26 + (t.type % 8) })),
            { maxLength: 2 },
          ),
        },
        { requiredKeys: ["client", "verify"], noNullPrototype: true },
      ),
      netns: ascii,
      extraTlvs: fc.array(rawTlv, { maxLength: 4 }),
    },
    { requiredKeys: [], noNullPrototype: true },
  )
  .chain((rest) => endpoints.map((e) => ({ ...rest, ...e })));

// ---- the model of what a parsed header should say -----------------------------------------------

/** The address as Node would print it, and whether it is IPv4 (mapped IPv6 counts as IPv4). */
function canonical(address: string): { v4: boolean; text: string } {
  if (!address.includes(":")) return { v4: true, text: address };
  const text = new SocketAddress({ address, family: "ipv6" }).address;
  if (text.startsWith("::ffff:") && text.includes(".")) return { v4: true, text: text.slice(7) };
  return { v4: false, text };
}

function expectedInet(source: InetEndpoint, destination: InetEndpoint) {
  const s = canonical(source.address);
  const d = canonical(destination.address);
  const v4 = s.v4 && d.v4;
  const text = (x: { v4: boolean; text: string }) => (v4 || !x.v4 ? x.text : `::ffff:${x.text}`);
  return {
    family: v4 ? "ipv4" : "ipv6",
    source: { address: text(s), port: source.port },
    destination: { address: text(d), port: destination.port },
  };
}

// ---- round trips ----------------------------------------------------------------------------

test("v2: build then parse gives back every field", () => {
  fc.assert(
    fc.property(v2Input, fc.boolean(), (input, crc) => {
      const buf = buildProxyHeaderV2(input, { crc32c: crc });
      const r = expectHeader(parseProxyHeader(buf));
      assert.equal(r.length, buf.length);
      const h = r.header;
      assert.equal(h.version, 2);
      assert.equal(h.command, input.command ?? "proxy");
      assert.equal(h.crc32cChecked, crc);
      if (input.command === "local" || input.source === undefined || input.destination === undefined) {
        assert.equal(h.family, "unspec");
        assert.equal(h.source, undefined);
      } else if ("path" in input.source) {
        assert.equal(h.family, "unix");
        assert.equal(h.transport, input.transport ?? "stream");
        assert.deepEqual(h.source, input.source);
        assert.deepEqual(h.destination, input.destination as UnixEndpoint);
      } else {
        const want = expectedInet(input.source, input.destination as InetEndpoint);
        assert.equal(h.family, want.family);
        assert.equal(h.transport, input.transport ?? "stream");
        assert.deepEqual(h.source, want.source);
        assert.deepEqual(h.destination, want.destination);
      }
      assert.equal(h.alpn, input.alpn);
      assert.equal(h.authority, input.authority);
      assert.deepEqual(h.uniqueId, input.uniqueId === undefined ? undefined : Buffer.from(input.uniqueId));
      assert.equal(h.netns, input.netns);
      if (input.ssl === undefined) {
        assert.equal(h.ssl, undefined);
      } else {
        assert.ok(h.ssl);
        for (const key of ["client", "verify", "version", "cn", "cipher", "sigAlg", "keyAlg"] as const) {
          assert.equal(h.ssl[key], input.ssl[key], key);
        }
        const extra = h.ssl.tlvs.filter((t) => t.type >= 0x26);
        assert.deepEqual(extra, input.ssl.extraTlvs ?? []);
      }
      const named = new Set([0x01, 0x02, 0x03, 0x05, 0x20, 0x30]);
      assert.deepEqual(
        h.tlvs.filter((t) => !named.has(t.type)),
        input.extraTlvs ?? [],
      );
    }),
    RUNS,
  );
});

test("v1: build then parse gives back addresses and ports", () => {
  fc.assert(
    fc.property(inet, inet, (source, destination) => {
      const buf = buildProxyHeaderV1({ source, destination });
      const r = expectHeader(parseProxyHeader(buf));
      assert.equal(r.length, buf.length);
      assert.ok(buf.length <= 107);
      const want = expectedInet(source, destination);
      assert.equal(r.header.family, want.family);
      assert.deepEqual(r.header.source, want.source);
      assert.deepEqual(r.header.destination, want.destination);
    }),
    RUNS,
  );
});

// ---- robustness -----------------------------------------------------------------------------

const allow = fc.constantFrom<ParseOptions["allow"]>("v1", "v2", "any", undefined);

/** Runs the parser and checks the invariants that hold for every input. */
function parseChecked(buf: Buffer, opts: ParseOptions): ParseResult {
  const r = parseProxyHeader(buf, { allow: opts.allow });
  if (r.kind === "header") {
    assert.ok(r.length > 0 && r.length <= buf.length, "length within the input");
    // Nothing after the header was looked at: the header alone parses the same.
    assert.deepEqual(parseProxyHeader(buf.subarray(0, r.length), opts), r);
  }
  if (r.kind === "incomplete") {
    // Only below the size limit: 107 bytes for v1, 16 + the length field for v2.
    const limit = buf[0] === 0x50 ? 107 : buf.length >= 16 ? 16 + buf.readUInt16BE(14) : 16;
    assert.ok(buf.length < limit, "incomplete only below the size limit");
  }
  if (r.kind === "error") assert.match(r.code, /^PROXY_[A-Z0-9_]+$/);
  return r;
}

const validHeader = fc.oneof(
  v2Input.map((i) => buildProxyHeaderV2(i, { crc32c: false })),
  v2Input.map((i) => buildProxyHeaderV2(i, { crc32c: true })),
  fc.tuple(inet, inet).map(([source, destination]) => buildProxyHeaderV1({ source, destination })),
  fc.constant(Buffer.from("PROXY UNKNOWN\r\n")),
);

const randomish = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.uint8Array({ maxLength: 120 }).map((a) => Buffer.concat([Buffer.from("PROXY "), a])),
  fc.string({ unit: "grapheme-ascii", maxLength: 120 }).map((s) => Buffer.from(`PROXY TCP${s}`)),
  fc
    .tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ maxLength: 300 }),
    )
    .map(([vc, fam, rest]) => Buffer.concat([V2_SIGNATURE, Buffer.from([vc, fam]), rest])),
  fc
    .tuple(
      fc.constantFrom(0x20, 0x21),
      fc.constantFrom(0, 0x11, 0x12, 0x21, 0x22, 0x31),
      fc.uint8Array({ maxLength: 260 }),
    )
    .map(([vc, fam, rest]) => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(rest.length);
      return Buffer.concat([V2_SIGNATURE, Buffer.from([vc, fam]), len, rest]);
    }),
);

test("random bytes never throw and every invariant holds", () => {
  fc.assert(
    fc.property(randomish, allow, (buf, a) => {
      parseChecked(buf, { allow: a });
    }),
    { numRuns: 3000 },
  );
});

test("mutated valid headers never throw and every invariant holds", () => {
  const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
    minLength: 1,
    maxLength: 4,
  });
  fc.assert(
    fc.property(validHeader, mutation, fc.uint8Array({ maxLength: 20 }), allow, (header, edits, tail, a) => {
      const buf = Buffer.concat([header, tail]);
      for (const [at, byte] of edits) buf[at % buf.length] = byte;
      parseChecked(buf, { allow: a });
      // Cutting or extending a mutated header must not throw either.
      parseChecked(buf.subarray(0, edits[0]![0] % (buf.length + 1)), { allow: a });
    }),
    { numRuns: 2000 },
  );
});

test("any prefix of any input is judged consistently with the whole", () => {
  // Once a prefix is an error the whole is an error; once it is a header the whole is that header.
  fc.assert(
    fc.property(fc.oneof(randomish, validHeader), fc.nat(), (buf, cut) => {
      const n = cut % (buf.length + 1);
      const part = parseProxyHeader(buf.subarray(0, n));
      const whole = parseProxyHeader(buf);
      if (part.kind === "error") assert.equal(whole.kind, "error");
      if (part.kind === "header") assert.deepEqual(whole, part);
    }),
    { numRuns: 3000 },
  );
});

test("a valid header and its payload split at any point: incomplete, then the header", () => {
  fc.assert(
    fc.property(validHeader, fc.uint8Array({ maxLength: 64 }), fc.nat(), (header, payload, cut) => {
      const stream = Buffer.concat([header, payload]);
      const n = cut % (stream.length + 1);
      const first = parseProxyHeader(stream.subarray(0, n));
      if (n < header.length) assert.deepEqual(first, { kind: "incomplete" });
      else assert.equal(expectHeader(first).length, header.length);
      const all = expectHeader(parseProxyHeader(stream));
      assert.equal(all.length, header.length);
      assert.deepEqual(stream.subarray(all.length), Buffer.from(payload));
    }),
    { numRuns: 1000 },
  );
});

test("every byte-by-byte prefix of a valid header is incomplete", () => {
  fc.assert(
    fc.property(validHeader, (header) => {
      for (let n = 0; n < header.length; n++) {
        assert.deepEqual(parseProxyHeader(header.subarray(0, n)), { kind: "incomplete" }, `${n}`);
      }
    }),
    { numRuns: 200 },
  );
});
