import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Replication } from '../../../src/protocol/consistency.js';
import { RingkvError } from '../../../src/protocol/errors.js';
import { allocateTokens, randomTokens } from '../../../src/ring/allocation.js';
import { effectiveOwnership, primaryOwnership } from '../../../src/ring/ownership.js';
import { MIN_TOKEN } from '../../../src/ring/partitioner.js';
import { TokenRing } from '../../../src/ring/ring.js';
import { networkArb, node, ringArb, seeded, simpleArb } from './arbitraries.js';

const sum = (owns: Map<string, number>): number => [...owns.values()].reduce((a, b) => a + b, 0);

function spread(owns: Map<string, number>): number {
  const values = [...owns.values()];
  return Math.max(...values) / Math.min(...values);
}

describe('ownership', () => {
  it('splits the ring by primary ranges', () => {
    const ring = new TokenRing([node('a', [0n]), node('b', [2n ** 62n])]);
    expect(primaryOwnership(ring).get('a')).toBeCloseTo(0.75, 12);
    expect(primaryOwnership(ring).get('b')).toBeCloseTo(0.25, 12);
    expect(effectiveOwnership(ring, { strategy: 'simple', rf: 2 }).get('b')).toBeCloseTo(1, 12);
  });

  it('sums primary ownership to 1 and effective ownership to the number of copies', () => {
    fc.assert(
      fc.property(ringArb(8), simpleArb, (ring, replication) => {
        if (replication.strategy !== 'simple') return;
        expect(sum(primaryOwnership(ring))).toBeCloseTo(1, 9);
        expect(sum(effectiveOwnership(ring, replication))).toBeCloseTo(
          Math.min(replication.rf, ring.size),
          9,
        );
      }),
    );
  });

  it('sums effective ownership to the copies of every DC for network replication', () => {
    fc.assert(
      fc.property(ringArb(8), networkArb, (ring, replication) => {
        if (replication.strategy !== 'network') return;
        const copies = Object.entries(replication.dcs).reduce(
          (n, [dc, rf]) => n + Math.min(rf, ring.nodes().filter((x) => x.dc === dc).length),
          0,
        );
        expect(sum(effectiveOwnership(ring, replication))).toBeCloseTo(copies, 9);
      }),
    );
  });
});

describe('randomTokens', () => {
  it('draws distinct tokens that avoid the minimum and existing tokens', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1 }), fc.integer({ min: 0, max: 64 }), (seed, count) => {
        const existing = randomTokens(8, seeded(seed ^ 0x5bd1e995));
        const tokens = randomTokens(count, seeded(seed), existing);
        expect(tokens).toHaveLength(count);
        expect(new Set([...tokens, ...existing]).size).toBe(count + existing.length);
        expect(tokens).not.toContain(MIN_TOKEN);
      }),
    );
  });

  it('skips the minimum token when the source lands on it', () => {
    // 0.5 then 0 makes the bits 0x80000000_00000000: the minimum token.
    const draws = [0.5, 0, 0.25, 0.75];
    const tokens = randomTokens(1, () => draws.shift() ?? 0.1);
    expect(tokens).toEqual([2n ** 62n + 3n * 2n ** 30n]);
  });

  it('repeats itself for the same seed', () => {
    expect(randomTokens(16, seeded(7))).toEqual(randomTokens(16, seeded(7)));
  });
});

describe('allocateTokens', () => {
  const rf3: Replication = { strategy: 'simple', rf: 3 };

  function grow(nodeCount: number, numTokens: number, replication: Replication, seed: number): TokenRing {
    const random = seeded(seed);
    let ring = new TokenRing([]);
    for (let i = 0; i < nodeCount; i++) {
      const joining = { hostId: `n${i}`, dc: 'dc1', rack: `r${i % 3}` };
      ring = ring.withNode({
        ...joining,
        tokens: allocateTokens(ring, replication, joining, numTokens, random),
      });
    }
    return ring;
  }

  it('spaces the first node evenly', () => {
    const tokens = allocateTokens(
      new TokenRing([]),
      rf3,
      { hostId: 'a', dc: 'dc1', rack: 'r1' },
      8,
      seeded(1),
    );
    const ring = new TokenRing([node('a', tokens)]);
    for (const range of ring.ranges()) expect(range.end - range.start).not.toBe(0n);
    const shares = ring.tokens().map((_, i) => ring.rangeFractionAt(i));
    for (const share of shares) expect(share).toBeCloseTo(1 / 8, 9);
  });

  it('evens out effective ownership far better than random tokens', () => {
    const ring = grow(6, 16, rf3, 3);
    expect(ring.tokenCount).toBe(96);
    expect(spread(effectiveOwnership(ring, rf3))).toBeLessThanOrEqual(1.1);
  });

  it('balances a node within its own DC and leaves other DCs alone', () => {
    const replication: Replication = { strategy: 'network', dcs: { dc1: 2, dc2: 2 } };
    const random = seeded(11);
    let ring = new TokenRing([]);
    for (const [i, dc] of ['dc1', 'dc1', 'dc1', 'dc2', 'dc2', 'dc2', 'dc2'].entries()) {
      const joining = { hostId: `n${i}`, dc, rack: 'r1' };
      ring = ring.withNode({ ...joining, tokens: allocateTokens(ring, replication, joining, 6, random) });
    }
    const owns = effectiveOwnership(ring, replication);
    const inDc = (dc: string): Map<string, number> =>
      new Map([...owns].filter(([hostId]) => ring.node(hostId)!.dc === dc));
    expect(sum(inDc('dc1'))).toBeCloseTo(2, 9);
    expect(sum(inDc('dc2'))).toBeCloseTo(2, 9);
    expect(spread(inDc('dc2'))).toBeLessThanOrEqual(1.1);
  });

  it('refuses a node already in the ring and a negative token count', () => {
    const ring = new TokenRing([node('a', [1n])]);
    expect(() => allocateTokens(ring, rf3, { hostId: 'a', dc: 'dc1', rack: 'r1' }, 4, seeded(1))).toThrow(
      RingkvError,
    );
    expect(() => allocateTokens(ring, rf3, { hostId: 'b', dc: 'dc1', rack: 'r1' }, -1, seeded(1))).toThrow(
      RingkvError,
    );
  });
});
