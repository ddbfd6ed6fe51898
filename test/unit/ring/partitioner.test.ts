import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingkvError } from '../../../src/protocol/errors.js';
import {
  MAX_TOKEN,
  MIN_TOKEN,
  formatToken,
  parseToken,
  tokenOf,
  tokenOfString,
} from '../../../src/ring/partitioner.js';

const MASK64 = (1n << 64n) - 1n;

function rotl64(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & MASK64;
}

function fmix64(k: bigint): bigint {
  k ^= k >> 33n;
  k = (k * 0xff51afd7ed558ccdn) & MASK64;
  k ^= k >> 33n;
  k = (k * 0xc4ceb9fe1a85ec53n) & MASK64;
  return k ^ (k >> 33n);
}

/**
 * A second, independent implementation: Cassandra's MurmurHash.hash3_x64_128 transcribed with
 * plain BigInt arithmetic, tail bytes read as sign-extended Java bytes.
 */
function referenceToken(key: Uint8Array): bigint {
  const c1 = 0x87c37b91114253d5n;
  const c2 = 0x4cf5ad432745937fn;
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  let h1 = 0n;
  let h2 = 0n;
  const blocks = key.length >> 4;
  for (let i = 0; i < blocks; i++) {
    let k1 = view.getBigUint64(i * 16, true);
    let k2 = view.getBigUint64(i * 16 + 8, true);
    k1 = (k1 * c1) & MASK64;
    k1 = rotl64(k1, 31n);
    k1 = (k1 * c2) & MASK64;
    h1 ^= k1;
    h1 = rotl64(h1, 27n);
    h1 = (h1 + h2) & MASK64;
    h1 = (h1 * 5n + 0x52dce729n) & MASK64;
    k2 = (k2 * c2) & MASK64;
    k2 = rotl64(k2, 33n);
    k2 = (k2 * c1) & MASK64;
    h2 ^= k2;
    h2 = rotl64(h2, 31n);
    h2 = (h2 + h1) & MASK64;
    h2 = (h2 * 5n + 0x38495ab5n) & MASK64;
  }
  const tail = blocks * 16;
  const javaByte = (i: number): bigint => BigInt.asUintN(64, BigInt(view.getInt8(tail + i)));
  let k1 = 0n;
  let k2 = 0n;
  const rest = key.length & 15;
  for (let i = rest - 1; i >= 8; i--) k2 ^= (javaByte(i) << BigInt(8 * (i - 8))) & MASK64;
  if (rest > 8) {
    k2 = (k2 * c2) & MASK64;
    k2 = rotl64(k2, 33n);
    k2 = (k2 * c1) & MASK64;
    h2 ^= k2;
  }
  for (let i = Math.min(rest, 8) - 1; i >= 0; i--) k1 ^= (javaByte(i) << BigInt(8 * i)) & MASK64;
  if (rest > 0) {
    k1 = (k1 * c1) & MASK64;
    k1 = rotl64(k1, 31n);
    k1 = (k1 * c2) & MASK64;
    h1 ^= k1;
  }
  h1 ^= BigInt(key.length);
  h2 ^= BigInt(key.length);
  h1 = (h1 + h2) & MASK64;
  h2 = (h2 + h1) & MASK64;
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 = (h1 + h2) & MASK64;
  const token = BigInt.asIntN(64, h1);
  return token === MIN_TOKEN ? MAX_TOKEN : token;
}

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

interface PublishedVector {
  key_hex: string;
  token: string;
  source: string;
}

/**
 * The project's shared conformance file when it sits beside the repository, else the copy kept
 * in test/fixtures, so that a clone alone still checks every published vector.
 */
const publishedUrls = [
  new URL('../../../../shared/conformance/murmur3-published.json', import.meta.url),
  new URL('../../fixtures/murmur3-published.json', import.meta.url),
];

function loadPublished(): PublishedVector[] {
  const path = publishedUrls.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  if (path === undefined) {
    throw new Error(
      `published Murmur3 vectors not found at ${publishedUrls.map((u) => fileURLToPath(u)).join(' or ')}`,
    );
  }
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { vectors: PublishedVector[] };
  return doc.vectors;
}

describe('Murmur3Partitioner tokens', () => {
  it('reproduces every published Cassandra token', () => {
    const vectors = loadPublished();
    expect(vectors.length).toBeGreaterThan(0);
    for (const v of vectors) {
      const key = hex(v.key_hex);
      expect({ key: v.key_hex, token: formatToken(tokenOf(key)) }).toEqual({
        key: v.key_hex,
        token: v.token,
      });
      // The reference must agree too, or the tail tests below would prove nothing.
      expect(formatToken(referenceToken(key))).toBe(v.token);
    }
  });

  it("gives the text key 'hello' the token Cassandra prints", () => {
    expect(tokenOfString('hello')).toBe(-3758069500696749310n);
    expect(tokenOf(new TextEncoder().encode('hello'))).toBe(-3758069500696749310n);
  });

  it('hashes the empty key', () => {
    // MurmurHash3_x64_128 of nothing with seed 0 is all zero bits.
    expect(tokenOf(new Uint8Array(0))).toBe(0n);
    expect(tokenOfString('')).toBe(0n);
  });

  it('agrees with the reference on a very long key', () => {
    const key = new Uint8Array(100_003);
    for (let i = 0; i < key.length; i++) key[i] = (i * 131 + 7) & 0xff;
    expect(tokenOf(key)).toBe(referenceToken(key));
  });

  it('reads every tail length 0..15 with high bytes as signed', () => {
    for (const blocks of [0, 1, 2]) {
      for (let rest = 0; rest < 16; rest++) {
        const key = new Uint8Array(blocks * 16 + rest);
        for (let i = 0; i < key.length; i++) key[i] = 0x80 | ((i * 37) & 0x7f);
        expect({ length: key.length, token: tokenOf(key) }).toEqual({
          length: key.length,
          token: referenceToken(key),
        });
      }
    }
  });

  it('agrees with the reference on arbitrary keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (key) => {
        expect(tokenOf(key)).toBe(referenceToken(key));
      }),
      { numRuns: 2000 },
    );
  });

  it('hashes a string as its UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        expect(tokenOfString(s)).toBe(tokenOf(new TextEncoder().encode(s)));
      }),
    );
  });

  it('never yields the minimum token', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (key) => {
        const t = tokenOf(key);
        expect(t > MIN_TOKEN && t <= MAX_TOKEN).toBe(true);
      }),
    );
  });
});

describe('token text', () => {
  it('round-trips any token', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: MIN_TOKEN, max: MAX_TOKEN }), (t) => {
        expect(parseToken(formatToken(t))).toBe(t);
      }),
    );
  });

  it('rejects what is not a signed 64-bit decimal', () => {
    for (const bad of ['', 'abc', '1.5', '0x10', '9223372036854775808', '-9223372036854775809', '1e3']) {
      expect(() => parseToken(bad)).toThrow(RingkvError);
      try {
        parseToken(bad);
      } catch (e) {
        expect((e as RingkvError).code).toBe('INVALID_REQUEST');
      }
    }
  });

  it('accepts the bounds of the token range', () => {
    expect(parseToken('-9223372036854775808')).toBe(MIN_TOKEN);
    expect(parseToken('9223372036854775807')).toBe(MAX_TOKEN);
  });
});
