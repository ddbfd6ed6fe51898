/**
 * MurmurHash3_x64_128 as Cassandra computes it (org.apache.cassandra.utils.MurmurHash), first
 * 64-bit half only. It runs on every request, so each 64-bit word is kept as two int32 halves
 * (hi, lo) in locals and multiplied with Math.imul instead of BigInt; only the caller turns the
 * result into a bigint. Helpers return one int32 each so that V8 inlines them.
 *
 * Cassandra's quirk, kept on purpose so that tokens match `SELECT token(k)`: the 1..15 tail bytes
 * are Java `byte`s, sign-extended to 64 bits before they are shifted and xored in, while full
 * 16-byte blocks are read as unsigned little-endian words.
 */

const C1_HI = 0x87c37b91 | 0;
const C1_LO = 0x114253d5 | 0;
const C2_HI = 0x4cf5ad43 | 0;
const C2_LO = 0x2745937f | 0;
const FMIX1_HI = 0xff51afd7 | 0;
const FMIX1_LO = 0xed558ccd | 0;
const FMIX2_HI = 0xc4ceb9fe | 0;
const FMIX2_LO = 0x1a85ec53 | 0;

/** High word of (aHi:aLo * bHi:bLo) mod 2^64; the low word is Math.imul(aLo, bLo). */
function mulHi(aHi: number, aLo: number, bHi: number, bLo: number): number {
  // The high half of the unsigned product of the low words, from 16-bit limbs so that every
  // partial product is exact in a double.
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const mid = a1 * b0 + a0 * b1 + ((a0 * b0) >>> 16);
  const carry = a1 * b1 + ((mid / 0x10000) | 0);
  return (carry + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) | 0;
}

/** High word of aHi:aLo + bHi:bLo; the low word is (aLo + bLo) | 0. */
function addHi(aHi: number, aLo: number, bHi: number, bLo: number): number {
  return (aHi + bHi + ((aLo >>> 0) + (bLo >>> 0) > 0xffffffff ? 1 : 0)) | 0;
}

function blockWord(key: Uint8Array, at: number): number {
  return key[at]! | (key[at + 1]! << 8) | (key[at + 2]! << 16) | (key[at + 3]! << 24);
}

/** Tail byte i as Java's `(long) key.get(i)`: its sign bits fill the rest of the word. */
function signedByte(key: Uint8Array, i: number): number {
  return (key[i]! << 24) >> 24;
}

/**
 * The tail word of bytes [from, from + count), count 1..8: the low (`half` 0) or high (`half` 1)
 * int32 of xor over j of (sign-extended byte) << 8j.
 */
function tailWord(key: Uint8Array, from: number, count: number, half: 0 | 1): number {
  let word = 0;
  for (let j = 0; j < count; j++) {
    const b = signedByte(key, from + j);
    if (half === 0) word ^= j < 4 ? b << (8 * j) : 0;
    else word ^= j < 4 ? b >> 31 : b << (8 * (j - 4));
  }
  return word;
}

/**
 * The first 64-bit half of MurmurHash3_x64_128(key[0, length), seed 0) as Cassandra computes it,
 * written to `into` as signed int32 halves [hi, lo].
 */
export function murmur3FirstHalf(key: Uint8Array, length: number, into: Int32Array): void {
  let h1Hi = 0;
  let h1Lo = 0;
  let h2Hi = 0;
  let h2Lo = 0;
  let kHi: number;
  let kLo: number;
  let tHi: number;
  let tLo: number;

  const blocks = length >>> 4;
  for (let at = 0; at < blocks * 16; at += 16) {
    // k1 = getblock(2i); k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1
    kHi = blockWord(key, at + 4);
    kLo = blockWord(key, at);
    tHi = mulHi(kHi, kLo, C1_HI, C1_LO);
    tLo = Math.imul(kLo, C1_LO);
    kHi = (tHi << 31) | (tLo >>> 1);
    kLo = (tLo << 31) | (tHi >>> 1);
    h1Hi ^= mulHi(kHi, kLo, C2_HI, C2_LO);
    h1Lo ^= Math.imul(kLo, C2_LO);
    // h1 = rotl64(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729
    tHi = (h1Hi << 27) | (h1Lo >>> 5);
    tLo = (h1Lo << 27) | (h1Hi >>> 5);
    h1Hi = addHi(tHi, tLo, h2Hi, h2Lo);
    h1Lo = (tLo + h2Lo) | 0;
    tHi = mulHi(h1Hi, h1Lo, 0, 5);
    tLo = Math.imul(h1Lo, 5);
    h1Hi = addHi(tHi, tLo, 0, 0x52dce729);
    h1Lo = (tLo + 0x52dce729) | 0;

    // k2 = getblock(2i+1); k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2
    kHi = blockWord(key, at + 12);
    kLo = blockWord(key, at + 8);
    tHi = mulHi(kHi, kLo, C2_HI, C2_LO);
    tLo = Math.imul(kLo, C2_LO);
    // Rotating by 33 is swapping the halves, then rotating by 1.
    kHi = (tLo << 1) | (tHi >>> 31);
    kLo = (tHi << 1) | (tLo >>> 31);
    h2Hi ^= mulHi(kHi, kLo, C1_HI, C1_LO);
    h2Lo ^= Math.imul(kLo, C1_LO);
    // h2 = rotl64(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5
    tHi = (h2Hi << 31) | (h2Lo >>> 1);
    tLo = (h2Lo << 31) | (h2Hi >>> 1);
    h2Hi = addHi(tHi, tLo, h1Hi, h1Lo);
    h2Lo = (tLo + h1Lo) | 0;
    tHi = mulHi(h2Hi, h2Lo, 0, 5);
    tLo = Math.imul(h2Lo, 5);
    h2Hi = addHi(tHi, tLo, 0, 0x38495ab5);
    h2Lo = (tLo + 0x38495ab5) | 0;
  }

  const tail = blocks * 16;
  const rest = length & 15;
  if (rest > 8) {
    kHi = tailWord(key, tail + 8, rest - 8, 1);
    kLo = tailWord(key, tail + 8, rest - 8, 0);
    tHi = mulHi(kHi, kLo, C2_HI, C2_LO);
    tLo = Math.imul(kLo, C2_LO);
    kHi = (tLo << 1) | (tHi >>> 31);
    kLo = (tHi << 1) | (tLo >>> 31);
    h2Hi ^= mulHi(kHi, kLo, C1_HI, C1_LO);
    h2Lo ^= Math.imul(kLo, C1_LO);
  }
  if (rest > 0) {
    const count = rest > 8 ? 8 : rest;
    kHi = tailWord(key, tail, count, 1);
    kLo = tailWord(key, tail, count, 0);
    tHi = mulHi(kHi, kLo, C1_HI, C1_LO);
    tLo = Math.imul(kLo, C1_LO);
    kHi = (tHi << 31) | (tLo >>> 1);
    kLo = (tLo << 31) | (tHi >>> 1);
    h1Hi ^= mulHi(kHi, kLo, C2_HI, C2_LO);
    h1Lo ^= Math.imul(kLo, C2_LO);
  }

  // Java xors the int length into a long: sign-extended, and a length is never negative.
  h1Lo ^= length;
  h2Lo ^= length;
  // h1 += h2; h2 += h1
  h1Hi = addHi(h1Hi, h1Lo, h2Hi, h2Lo);
  h1Lo = (h1Lo + h2Lo) | 0;
  h2Hi = addHi(h2Hi, h2Lo, h1Hi, h1Lo);
  h2Lo = (h2Lo + h1Lo) | 0;

  // fmix64(h1): k ^= k >>> 33; k *= F1; k ^= k >>> 33; k *= F2; k ^= k >>> 33
  h1Lo ^= h1Hi >>> 1;
  tHi = mulHi(h1Hi, h1Lo, FMIX1_HI, FMIX1_LO);
  tLo = Math.imul(h1Lo, FMIX1_LO) ^ (tHi >>> 1);
  h1Hi = mulHi(tHi, tLo, FMIX2_HI, FMIX2_LO);
  h1Lo = Math.imul(tLo, FMIX2_LO) ^ (h1Hi >>> 1);
  // fmix64(h2)
  h2Lo ^= h2Hi >>> 1;
  tHi = mulHi(h2Hi, h2Lo, FMIX1_HI, FMIX1_LO);
  tLo = Math.imul(h2Lo, FMIX1_LO) ^ (tHi >>> 1);
  h2Hi = mulHi(tHi, tLo, FMIX2_HI, FMIX2_LO);
  h2Lo = Math.imul(tLo, FMIX2_LO) ^ (h2Hi >>> 1);

  // h1 += h2: the second half is not needed for a token.
  into[0] = addHi(h1Hi, h1Lo, h2Hi, h2Lo);
  into[1] = (h1Lo + h2Lo) | 0;
}
