import { RingkvError } from '../protocol/errors.js';
import { murmur3FirstHalf } from './murmur3.js';

/**
 * Cassandra's Murmur3Partitioner: a key's token is the first 64 bits of
 * MurmurHash3_x64_128(key bytes, seed 0) as a signed int64, so that ringkv places a key where
 * Cassandra's `SELECT token(k)` says it goes.
 */

export const MIN_TOKEN = -(2n ** 63n);
export const MAX_TOKEN = 2n ** 63n - 1n;

const halves = new Int32Array(2);
const utf8 = new TextEncoder();
// Reused for string keys so that hashing a string allocates only its bigint token.
let scratch = new Uint8Array(256);
// Keys are at most 64 KiB; a longer string is hashed without keeping a buffer that large around.
const maxScratchBytes = 3 * 64 * 1024;

function tokenOfPrefix(bytes: Uint8Array, length: number): bigint {
  murmur3FirstHalf(bytes, length, halves);
  const hi = halves[0]!;
  const lo = halves[1]!;
  // The minimum token is the ring's origin and never a key's token: Cassandra folds it onto the maximum.
  if (hi === -0x80000000 && lo === 0) return MAX_TOKEN;
  return (BigInt(hi) << 32n) + BigInt(lo >>> 0);
}

export function tokenOf(key: Uint8Array): bigint {
  return tokenOfPrefix(key, key.length);
}

/** The token of a text key: its UTF-8 bytes, as Cassandra hashes a `text` partition key. */
export function tokenOfString(key: string): bigint {
  // UTF-8 never takes more than three bytes per UTF-16 code unit.
  const worstBytes = key.length * 3;
  if (worstBytes > maxScratchBytes) return tokenOf(utf8.encode(key));
  if (scratch.length < worstBytes) scratch = new Uint8Array(worstBytes);
  const { written } = utf8.encodeInto(key, scratch);
  return tokenOfPrefix(scratch, written);
}

export function formatToken(t: bigint): string {
  return t.toString();
}

const DECIMAL_INT64 = /^[+-]?\d{1,19}$/;

/** A token as users and the wire write it: a signed decimal int64. */
export function parseToken(s: string): bigint {
  const text = s.trim();
  if (!DECIMAL_INT64.test(text)) {
    throw new RingkvError(
      'INVALID_REQUEST',
      `"${s}" is not a token: expected a signed 64-bit decimal integer`,
    );
  }
  const t = BigInt(text);
  if (t < MIN_TOKEN || t > MAX_TOKEN) {
    throw new RingkvError('INVALID_REQUEST', `token ${text} is outside [${MIN_TOKEN}, ${MAX_TOKEN}]`);
  }
  return t;
}
