import { describe, expect, it } from 'vitest';
import { seededUniform } from '../../../src/bench/random.js';
import { keyChooser, OperationMix, parseWorkload, WORKLOADS } from '../../../src/bench/workload.js';

function readShare(name: string, draws = 20_000): number {
  const mix = new OperationMix(parseWorkload(name).readFraction, seededUniform(5));
  let reads = 0;
  for (let i = 0; i < draws; i++) if (mix.next() === 'read') reads++;
  return reads / draws;
}

describe('workload mix', () => {
  it('gives YCSB A half reads, B 95% reads, C and read only reads, write only writes', () => {
    expect(readShare('A')).toBeCloseTo(0.5, 1);
    expect(readShare('B')).toBeCloseTo(0.95, 1);
    expect(readShare('C')).toBe(1);
    expect(readShare('read')).toBe(1);
    expect(readShare('write')).toBe(0);
  });

  it('accepts names in any case and refuses unknown ones as a usage error', () => {
    expect(parseWorkload('a').name).toBe('A');
    expect(parseWorkload('WRITE').name).toBe('write');
    expect(() => parseWorkload('D')).toThrow(/not one of write, read, A, B, C/);
  });

  it('loads records first only for workloads that read', () => {
    expect(WORKLOADS.write.needsLoad).toBe(false);
    for (const name of ['read', 'A', 'B', 'C'] as const) expect(WORKLOADS[name].needsLoad).toBe(true);
  });

  it('spreads uniform keys over every record', () => {
    const keys = keyChooser('uniform', 100, seededUniform(9));
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) seen.add(keys.next());
    expect(seen.size).toBe(100);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(99);
  });
});
