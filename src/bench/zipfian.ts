import type { UniformSource } from './random.js';

/** YCSB's default skew: a few keys are very hot, most are cold. */
export const YCSB_ZIPFIAN_CONSTANT = 0.99;

/**
 * Picks integers in [0, items) with P(i) proportional to 1 / (i + 1)^theta, by Gray et al.'s
 * "Quickly generating billion-record synthetic databases" method, as YCSB's ZipfianGenerator does:
 * constant time per value after computing zeta(items, theta) once.
 */
export class ZipfianGenerator {
  private readonly alpha: number;
  private readonly eta: number;
  private readonly halfPowTheta: number;

  constructor(
    readonly items: number,
    private readonly theta: number,
    private readonly uniform: UniformSource,
    /** zeta(items, theta) when known, since summing it is linear in items. */
    private readonly zetan: number = zeta(items, theta),
  ) {
    if (!Number.isSafeInteger(items) || items < 2)
      throw new RangeError(`zipfian needs at least 2 items, got ${items}`);
    if (!(theta > 0 && theta < 1)) throw new RangeError(`zipfian constant must be in (0, 1), got ${theta}`);
    this.alpha = 1 / (1 - theta);
    this.eta = (1 - Math.pow(2 / items, 1 - theta)) / (1 - zeta(2, theta) / zetan);
    this.halfPowTheta = Math.pow(0.5, theta);
  }

  next(): number {
    const u = this.uniform();
    const uz = u * this.zetan;
    if (uz < 1) return 0;
    if (uz < 1 + this.halfPowTheta) return 1;
    const i = Math.trunc(this.items * Math.pow(this.eta * u - this.eta + 1, this.alpha));
    // Rounding near u = 1 may land one past the end.
    return Math.min(i, this.items - 1);
  }
}

/** zeta(n, theta) = sum over i in 1..n of 1 / i^theta. */
export function zeta(n: number, theta: number): number {
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += 1 / Math.pow(i, theta);
  return sum;
}

/** YCSB draws from a zipfian over this many items and hashes the result into the record range. */
const SCRAMBLE_ITEMS = 10_000_000_000;
/** zeta(10^10, 0.99), as YCSB hard-codes it: summing ten billion terms takes too long to do per run. */
const SCRAMBLE_ZETAN = 26.46902820178302;

/**
 * YCSB's ScrambledZipfianGenerator: zipfian popularity, but the hot keys are spread over the
 * whole record range by an FNV-1a hash instead of being the first few, so they do not all land
 * on one token range.
 */
export class ScrambledZipfian {
  private readonly zipfian: ZipfianGenerator;

  constructor(
    readonly records: number,
    uniform: UniformSource,
  ) {
    if (!Number.isSafeInteger(records) || records < 1)
      throw new RangeError(`records must be at least 1, got ${records}`);
    this.zipfian = new ZipfianGenerator(SCRAMBLE_ITEMS, YCSB_ZIPFIAN_CONSTANT, uniform, SCRAMBLE_ZETAN);
  }

  next(): number {
    return Number(fnvHash64(this.zipfian.next()) % BigInt(this.records));
  }
}

const FNV_OFFSET_BASIS_64 = 0xcbf29ce484222325n;
const FNV_PRIME_64 = 1099511628211n;

/** YCSB's Utils.fnvhash64: FNV-1a over the 8 little-endian bytes of a long, made non-negative. */
export function fnvHash64(value: number): bigint {
  let v = BigInt(value);
  let hash = BigInt.asIntN(64, FNV_OFFSET_BASIS_64);
  for (let i = 0; i < 8; i++) {
    hash ^= v & 0xffn;
    v >>= 8n;
    hash = BigInt.asIntN(64, hash * FNV_PRIME_64);
  }
  return hash < 0n ? -hash : hash;
}
