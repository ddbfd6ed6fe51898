import { describe, expect, it } from 'vitest';
import { seededUniform } from '../../../src/bench/random.js';
import { fnvHash64, ScrambledZipfian, ZipfianGenerator, zeta } from '../../../src/bench/zipfian.js';

function counts(next: () => number, n: number, draws: number): number[] {
  const c = new Array<number>(n).fill(0);
  let outside = 0;
  for (let i = 0; i < draws; i++) {
    const v = next();
    if (!Number.isInteger(v) || v < 0 || v >= n) outside++;
    else c[v] = (c[v] ?? 0) + 1;
  }
  expect(outside).toBe(0);
  return c;
}

describe('ZipfianGenerator', () => {
  it('makes item 0 the most popular, with rank frequencies falling as 1/rank^theta', () => {
    const z = new ZipfianGenerator(1000, 0.99, seededUniform(7));
    const c = counts(() => z.next(), 1000, 200_000);
    const expectedShare0 = 1 / zeta(1000, 0.99);
    expect((c[0] ?? 0) / 200_000).toBeCloseTo(expectedShare0, 2);
    // P(0) / P(1) = 2^0.99
    expect((c[0] ?? 0) / (c[1] ?? 1)).toBeGreaterThan(1.8);
    expect((c[0] ?? 0) / (c[1] ?? 1)).toBeLessThan(2.2);
    expect(c[0]).toBeGreaterThan(c[10] ?? 0);
    expect(c[10]).toBeGreaterThan(c[500] ?? 0);
  });

  it('repeats the same sequence for the same seed', () => {
    const a = new ZipfianGenerator(100, 0.99, seededUniform(3));
    const b = new ZipfianGenerator(100, 0.99, seededUniform(3));
    expect(Array.from({ length: 50 }, () => a.next())).toEqual(Array.from({ length: 50 }, () => b.next()));
  });
});

describe('ScrambledZipfian', () => {
  it('stays in range and is skewed, but its hottest key is not simply the first', () => {
    const z = new ScrambledZipfian(10_000, seededUniform(11));
    const c = counts(() => z.next(), 10_000, 100_000);
    const sorted = [...c].sort((a, b) => b - a);
    // Uniform would give each key about 10 hits; zipfian 0.99 gives the hottest thousands.
    expect(sorted[0]).toBeGreaterThan(1000);
    expect(c.filter((x) => x > 0).length).toBeGreaterThan(1000);
    expect(c.indexOf(sorted[0] ?? 0)).not.toBe(0);
  });

  it("hashes like YCSB's fnvhash64: FNV-1a over eight little-endian bytes, made non-negative", () => {
    // FNV-1a 64 of eight zero bytes is 0xa8c7f832281a39c5, negative as a Java long.
    expect(fnvHash64(0)).toBe(-BigInt.asIntN(64, 0xa8c7f832281a39c5n));
    expect(fnvHash64(1)).not.toBe(fnvHash64(256));
  });
});
