import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Replication } from '../../../src/protocol/consistency.js';
import { TokenRing, type RingNode, rangeContains } from '../../../src/ring/ring.js';
import { rangeReplicas, replicaRanges, replicasFor } from '../../../src/ring/strategy.js';
import {
  DCS,
  networkArb,
  node,
  nodesArb,
  replicationArb,
  ringArb,
  simpleArb,
  tokenArb,
} from './arbitraries.js';

const ids = (nodes: readonly RingNode[]): string[] => nodes.map((n) => n.hostId);

describe('simple strategy', () => {
  const ring = new TokenRing([
    node('a', [0n, 300n]),
    node('b', [100n]),
    node('c', [200n]),
    node('d', [400n]),
  ]);

  it('walks clockwise from the first token at or after the key, skipping chosen nodes', () => {
    const rf3: Replication = { strategy: 'simple', rf: 3 };
    expect(ids(replicasFor(ring, rf3, 50n))).toEqual(['b', 'c', 'a']);
    expect(ids(replicasFor(ring, rf3, 100n))).toEqual(['b', 'c', 'a']);
    expect(ids(replicasFor(ring, rf3, 250n))).toEqual(['a', 'd', 'b']);
    // Past the last token the walk wraps to the first: a, then b (a's 300 is skipped).
    expect(ids(replicasFor(ring, rf3, 401n))).toEqual(['a', 'b', 'c']);
  });

  it('gives every node when RF exceeds the ring, and none on an empty ring', () => {
    expect(ids(replicasFor(ring, { strategy: 'simple', rf: 9 }, 50n))).toEqual(['b', 'c', 'a', 'd']);
    expect(replicasFor(new TokenRing([]), { strategy: 'simple', rf: 3 }, 0n)).toEqual([]);
  });
});

describe('network strategy', () => {
  it('prefers distinct racks and takes skipped same-rack nodes only after all racks', () => {
    const ring = new TokenRing([
      node('a1', [10n], 'dc1', 'r1'),
      node('a2', [20n], 'dc1', 'r1'),
      node('b1', [30n], 'dc1', 'r2'),
      node('a3', [40n], 'dc1', 'r1'),
    ]);
    const rf = (n: number): Replication => ({ strategy: 'network', dcs: { dc1: n } });
    expect(ids(replicasFor(ring, rf(2), 0n))).toEqual(['a1', 'b1']);
    expect(ids(replicasFor(ring, rf(3), 0n))).toEqual(['a1', 'b1', 'a2']);
    expect(ids(replicasFor(ring, rf(4), 0n))).toEqual(['a1', 'b1', 'a2', 'a3']);
  });

  it('fills each DC to its own RF and leaves out DCs it does not name', () => {
    const ring = new TokenRing([
      node('x1', [10n], 'dc1', 'r1'),
      node('y1', [20n], 'dc2', 'r1'),
      node('x2', [30n], 'dc1', 'r2'),
      node('y2', [40n], 'dc2', 'r2'),
      node('z1', [50n], 'dc3', 'r1'),
    ]);
    const both: Replication = { strategy: 'network', dcs: { dc1: 2, dc2: 1 } };
    expect(ids(replicasFor(ring, both, 0n))).toEqual(['x1', 'y1', 'x2']);
    const onlyDc2: Replication = { strategy: 'network', dcs: { dc2: 5 } };
    expect(ids(replicasFor(ring, onlyDc2, 0n))).toEqual(['y1', 'y2']);
  });
});

describe('replica placement properties', () => {
  it('gives every token min(RF, nodes) distinct replicas, the owner first', () => {
    fc.assert(
      fc.property(ringArb(8), simpleArb, tokenArb, (ring, replication, token) => {
        if (replication.strategy !== 'simple') return;
        const replicas = replicasFor(ring, replication, token);
        expect(replicas).toHaveLength(Math.min(replication.rf, ring.size));
        expect(new Set(replicas).size).toBe(replicas.length);
        expect(replicas[0]).toBe(ring.ownerOf(token));
      }),
    );
  });

  it('honours per-DC counts and spreads each DC over as many racks as it can', () => {
    fc.assert(
      fc.property(ringArb(10), networkArb, tokenArb, (ring, replication, token) => {
        if (replication.strategy !== 'network') return;
        const replicas = replicasFor(ring, replication, token);
        expect(new Set(replicas).size).toBe(replicas.length);
        for (const dc of DCS) {
          const inDc = ring.nodes().filter((n) => n.dc === dc);
          const chosen = replicas.filter((n) => n.dc === dc);
          const wanted = Math.min(replication.dcs[dc] ?? 0, inDc.length);
          expect(chosen).toHaveLength(wanted);
          const racks = new Set(inDc.map((n) => n.rack)).size;
          expect(new Set(chosen.map((n) => n.rack)).size).toBe(Math.min(wanted, racks));
        }
      }),
    );
  });

  it('moves only ranges to a joining node', () => {
    fc.assert(
      fc.property(
        nodesArb(8),
        replicationArb,
        fc.array(tokenArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('dc1', 'dc2'),
        fc.constantFrom('r1', 'r2', 'r3', 'r4'),
        fc.array(tokenArb, { minLength: 1, maxLength: 20 }),
        (nodes, replication, newTokens, dc, rack, keys) => {
          const before = new TokenRing(nodes);
          const taken = new Set(before.tokens());
          const tokens = [...new Set(newTokens)].filter((t) => !taken.has(t));
          if (tokens.length === 0) return;
          const joining = node('joining', tokens, dc, rack);
          const after = before.withNode(joining);
          for (const key of keys) {
            const old = new Set(ids(replicasFor(before, replication, key)));
            const entered = ids(replicasFor(after, replication, key)).filter((id) => !old.has(id));
            expect(entered.every((id) => id === 'joining')).toBe(true);
          }
        },
      ),
    );
  });

  it('lists each range with the replicas of the keys in it', () => {
    fc.assert(
      fc.property(ringArb(8), replicationArb, tokenArb, (ring, replication, token) => {
        const ranges = rangeReplicas(ring, replication);
        expect(ranges).toHaveLength(ring.tokenCount);
        const holding = ranges.filter((r) => rangeContains(r, token));
        expect(holding).toHaveLength(1);
        expect(ids(holding[0]!.replicas)).toEqual(ids(replicasFor(ring, replication, token)));
      }),
    );
  });

  it("lists a node's replica ranges as those whose replicas include it", () => {
    fc.assert(
      fc.property(ringArb(8), replicationArb, tokenArb, (ring, replication, token) => {
        for (const n of ring.nodes()) {
          const isReplica = replicasFor(ring, replication, token).includes(n);
          const inOwnRanges = replicaRanges(ring, replication, n.hostId).some((r) => rangeContains(r, token));
          expect(inOwnRanges).toBe(isReplica);
        }
      }),
    );
  });

  it('places the same way for equal replications given as different objects', () => {
    const ring = new TokenRing([node('a', [1n], 'dc1', 'r1'), node('b', [2n], 'dc2', 'r1')]);
    const first = replicasFor(ring, { strategy: 'network', dcs: { dc1: 1, dc2: 1 } }, 0n);
    const second = replicasFor(ring, { strategy: 'network', dcs: { dc2: 1, dc1: 1 } }, 0n);
    expect(ids(second)).toEqual(ids(first));
    expect(ids(replicasFor(ring, { strategy: 'network', dcs: { dc1: 0, dc2: 1 } }, 0n))).toEqual(['b']);
  });
});
