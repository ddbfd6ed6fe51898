import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterTopology, type TopologyDoc } from '../../../src/client/topology.js';
import { replicasFor } from '../../../src/ring/strategy.js';
import { nodesArb, replicationArb, tokenArb } from '../ring/arbitraries.js';

const statusArb = fc.constantFrom('NORMAL' as const, 'LEAVING' as const, 'JOINING' as const, 'LEFT' as const);

describe('ClusterTopology.replicas', () => {
  it('places a key on the ring owners replicasFor picks, as the nodes own entries', () => {
    fc.assert(
      fc.property(
        nodesArb(6).chain((nodes) =>
          fc.record({
            nodes: fc.constant(nodes),
            statuses: fc.array(statusArb, { minLength: nodes.length, maxLength: nodes.length }),
          }),
        ),
        replicationArb,
        fc.array(tokenArb, { minLength: 1, maxLength: 20 }),
        ({ nodes, statuses }, replication, tokens) => {
          const doc: TopologyDoc = {
            clusterName: 'ringkv',
            hostId: 'n0',
            nodes: nodes.map((n, i) => ({
              hostId: n.hostId,
              address: `ws://127.0.0.1:${7401 + i}`,
              dc: n.dc,
              rack: n.rack,
              tokens: n.tokens.map(String),
              status: statuses[i] ?? 'NORMAL',
              state: 'UP' as const,
              load: 0,
            })),
            keyspaces: { ks: replication },
          };
          const topology = new ClusterTopology(doc);
          // Twice over, so the second round is answered from what the first one filled in.
          for (const token of [...tokens, ...tokens]) {
            const got = topology.replicas('ks', token);
            const want = replicasFor(topology.ring, replication, token).map((r) => r.hostId);
            expect(got.map((n) => n.hostId)).toEqual(want);
            for (const n of got) expect(n).toBe(topology.node(n.hostId));
          }
          expect(topology.replicas('missing', tokens[0] as bigint)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
