import fc from 'fast-check';
import type { Replication } from '../../../src/protocol/consistency.js';
import { MAX_TOKEN, MIN_TOKEN } from '../../../src/ring/partitioner.js';
import { TokenRing, type RingNode } from '../../../src/ring/ring.js';

export const DCS = ['dc1', 'dc2'] as const;
export const RACKS = ['r1', 'r2', 'r3'] as const;

/** Any token a key can have (the minimum never is one). */
export const tokenArb = fc.bigInt({ min: MIN_TOKEN + 1n, max: MAX_TOKEN });

export interface NodeSpec {
  dc: string;
  rack: string;
  tokenCount: number;
}

const nodeSpecArb = fc.record({
  dc: fc.constantFrom(...DCS),
  rack: fc.constantFrom(...RACKS),
  tokenCount: fc.integer({ min: 1, max: 4 }),
});

/** Nodes with distinct tokens, spread over DCS and RACKS. */
export function nodesArb(maxNodes: number): fc.Arbitrary<RingNode[]> {
  return fc.array(nodeSpecArb, { minLength: 1, maxLength: maxNodes }).chain((specs) => {
    const total = specs.reduce((n, s) => n + s.tokenCount, 0);
    return fc.uniqueArray(tokenArb, { minLength: total, maxLength: total }).map((tokens) => {
      let next = 0;
      return specs.map((s, i) => {
        const mine = tokens.slice(next, next + s.tokenCount);
        next += s.tokenCount;
        return { hostId: `n${i}`, dc: s.dc, rack: s.rack, tokens: mine };
      });
    });
  });
}

export function ringArb(maxNodes: number): fc.Arbitrary<TokenRing> {
  return nodesArb(maxNodes).map((nodes) => new TokenRing(nodes));
}

export const simpleArb: fc.Arbitrary<Replication> = fc
  .integer({ min: 1, max: 5 })
  .map((rf) => ({ strategy: 'simple', rf }));

export const networkArb: fc.Arbitrary<Replication> = fc
  .record({ dc1: fc.integer({ min: 0, max: 4 }), dc2: fc.integer({ min: 0, max: 4 }) })
  .map((dcs) => ({ strategy: 'network', dcs }));

export const replicationArb = fc.oneof(simpleArb, networkArb);

export function node(hostId: string, tokens: readonly bigint[], dc = 'dc1', rack = 'r1'): RingNode {
  return { hostId, dc, rack, tokens };
}

/** A seeded generator in [0, 1), so allocation tests are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
