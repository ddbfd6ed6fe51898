import { describe, expect, it } from 'vitest';
import {
  fittingReplication,
  gainedReplicas,
  replicationAsFlags,
  replicationKey,
  replicationShortfall,
  sameReplication,
  shortfallMessage,
} from '../../../src/protocol/consistency.js';

describe('replication', () => {
  it('compares replications whatever the order of their data centers', () => {
    expect(
      sameReplication(
        { strategy: 'network', dcs: { a: 1, b: 2 } },
        { strategy: 'network', dcs: { b: 2, a: 1 } },
      ),
    ).toBe(true);
    expect(
      sameReplication({ strategy: 'network', dcs: { a: 1 } }, { strategy: 'network', dcs: { a: 2 } }),
    ).toBe(false);
    expect(sameReplication({ strategy: 'simple', rf: 3 }, { strategy: 'network', dcs: { dc1: 3 } })).toBe(
      false,
    );
    // A DC name cannot forge another replication's key.
    expect(replicationKey({ strategy: 'network', dcs: { 'a=1,b': 2 } })).not.toBe(
      replicationKey({ strategy: 'network', dcs: { a: 1, b: 2 } }),
    );
  });

  it('says when a change makes some node a replica of data it was not given', () => {
    expect(gainedReplicas({ strategy: 'simple', rf: 2 }, { strategy: 'simple', rf: 3 })).toBe(true);
    expect(gainedReplicas({ strategy: 'simple', rf: 3 }, { strategy: 'simple', rf: 2 })).toBe(false);
    expect(
      gainedReplicas(
        { strategy: 'network', dcs: { a: 2, b: 2 } },
        { strategy: 'network', dcs: { a: 1, b: 3 } },
      ),
    ).toBe(true);
    expect(
      gainedReplicas({ strategy: 'network', dcs: { a: 2 } }, { strategy: 'network', dcs: { a: 2, c: 1 } }),
    ).toBe(true);
    expect(
      gainedReplicas({ strategy: 'network', dcs: { a: 2, b: 1 } }, { strategy: 'network', dcs: { a: 2 } }),
    ).toBe(false);
    expect(gainedReplicas({ strategy: 'simple', rf: 3 }, { strategy: 'network', dcs: { dc1: 3 } })).toBe(
      true,
    );
  });

  it('lowers a replication to what the nodes left can hold, and words it as the flags', () => {
    const nodes = [{ dc: 'a' }, { dc: 'a' }, { dc: 'b' }];
    expect(replicationAsFlags(fittingReplication({ strategy: 'simple', rf: 5 }, nodes)!)).toBe('--rf 3');
    expect(replicationAsFlags(fittingReplication({ strategy: 'simple', rf: 2 }, nodes)!)).toBe('--rf 2');
    expect(fittingReplication({ strategy: 'simple', rf: 3 }, [])).toBeUndefined();
    expect(
      replicationAsFlags(fittingReplication({ strategy: 'network', dcs: { a: 3, b: 2, c: 1 } }, nodes)!),
    ).toBe('--dc a:2,b:1,c:0');
    expect(fittingReplication({ strategy: 'network', dcs: { c: 2 } }, nodes)).toBeUndefined();
  });
});

describe('shortfallMessage', () => {
  const east = { dc: 'east' };
  const west = { dc: 'west' };
  it('names the CLs that cannot succeed and the replication the nodes hold', () => {
    const geo = { strategy: 'network', dcs: { east: 2, west: 2 } } as const;
    expect(shortfallMessage('geo', geo, [east, east, west])).toBe(
      'keyspace geo asks for 2 replicas in west, which has 1 node: LOCAL_QUORUM in west, EACH_QUORUM and ALL cannot succeed until a node joins west, or lower it: ringkv keyspace alter geo --dc east:2,west:1',
    );
    expect(shortfallMessage('geo', geo, [east, east, west, west])).toBeUndefined();
    const three = { strategy: 'simple', rf: 3 } as const;
    expect(shortfallMessage('default', three, [east, east])).toBe(
      'keyspace default asks for 3 replicas and the cluster has 2 nodes: THREE and ALL cannot succeed until a node joins, or lower it: ringkv keyspace alter default --rf 2',
    );
    expect(shortfallMessage('default', three, [east])).toMatch(
      /^keyspace default asks for 3 replicas and the cluster has 1 node: TWO, THREE, QUORUM and ALL cannot/,
    );
  });
});

describe('replicationShortfall', () => {
  const network = { strategy: 'network', dcs: { dc1: 2, dc2: 1 } } as const;
  const dc1 = (n: number) => Array.from({ length: n }, () => ({ dc: 'dc1' }));

  it('names the first data center with fewer nodes than replicas', () => {
    expect(replicationShortfall(network, dc1(3))).toEqual({ dc: 'dc2', nodes: 0, replicas: 1 });
    expect(replicationShortfall({ strategy: 'simple', rf: 3 }, dc1(2))).toEqual({ nodes: 2, replicas: 3 });
  });

  it('looks at one data center when asked: where a node leaves', () => {
    // dc2 has no node yet: a dc1 node may still leave while dc1 keeps enough.
    expect(replicationShortfall(network, dc1(2), 'dc1')).toBeUndefined();
    expect(replicationShortfall(network, dc1(1), 'dc1')).toEqual({ dc: 'dc1', nodes: 1, replicas: 2 });
    expect(replicationShortfall({ strategy: 'simple', rf: 3 }, dc1(2), 'dc1')).toEqual({
      nodes: 2,
      replicas: 3,
    });
  });
});
