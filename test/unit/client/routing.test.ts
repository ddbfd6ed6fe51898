import { describe, expect, it } from 'vitest';
import { LatencyScores, Router, type LatencyScore, type RouteInput } from '../../../src/client/routing.js';
import type { NodeDoc } from '../../../src/client/topology.js';

function node(hostId: string, extra: Partial<NodeDoc> = {}): NodeDoc {
  return {
    hostId,
    address: `ws://127.0.0.1:${7400 + hostId.charCodeAt(0)}`,
    dc: 'dc1',
    rack: 'rack1',
    tokens: ['0'],
    status: 'NORMAL',
    state: 'UP',
    load: 0,
    ...extra,
  };
}

function input(
  nodes: NodeDoc[],
  opts: {
    replicas?: string[];
    localDc?: string;
    latency?: Record<string, number | LatencyScore>;
    suspect?: string[];
  } = {},
): RouteInput {
  const byId = new Map(nodes.map((n) => [n.hostId, n]));
  return {
    nodes,
    replicas: (opts.replicas ?? []).map((id) => byId.get(id) as NodeDoc),
    localDc: opts.localDc ?? 'dc1',
    latency: (id) => {
      const l = opts.latency?.[id];
      return typeof l === 'number' ? { ewmaMs: l, ageMs: 0 } : l;
    },
    suspect: (id) => (opts.suspect ?? []).includes(id),
  };
}

const ids = (plan: readonly NodeDoc[]) => plan.map((n) => n.hostId);
const firsts = (router: Router, i: RouteInput, times: number) =>
  Array.from({ length: times }, () => router.route(i).plan[0]?.hostId);

describe('Router', () => {
  const five = ['a', 'b', 'c', 'd', 'e'].map((id) => node(id));

  it('round-robin spreads requests over every node and lists each once', () => {
    const router = new Router('rr');
    const i = input(five);
    expect(new Set(firsts(router, i, 5))).toEqual(new Set(['a', 'b', 'c', 'd', 'e']));
    expect([...ids(router.route(i).plan)].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('token-aware routing picks a replica of the key first, spreading over the replicas', () => {
    const router = new Router('token');
    const i = input(five, { replicas: ['c', 'e'] });
    const chosen = firsts(router, i, 10);
    expect(new Set(chosen)).toEqual(new Set(['c', 'e']));
    const choice = router.route(i);
    expect(ids(choice.plan).slice(0, 2).sort()).toEqual(['c', 'e']);
    expect(ids(choice.plan)).toHaveLength(5);
    expect(choice.reason).toContain('token-aware');
  });

  it('token-aware routing without a key falls back to round-robin', () => {
    const router = new Router('token');
    const choice = router.route(input(five));
    expect(choice.plan).toHaveLength(5);
    expect(choice.reason).toContain('round-robin');
  });

  it('never tries a DOWN node first, under every policy', () => {
    const nodes = [
      node('a', { state: 'DOWN' }),
      node('b'),
      node('c', { state: 'DOWN' }),
      node('d', { dc: 'dc2' }),
    ];
    for (const policy of ['rr', 'token', 'latency', 'dc', 'default'] as const) {
      const router = new Router(policy);
      for (let k = 0; k < 8; k++) {
        const plan = ids(
          router.route(input(nodes, { replicas: ['a', 'c'], latency: { a: 0.1, b: 5 } })).plan,
        );
        expect(plan.slice(-2).sort(), policy).toEqual(['a', 'c']);
        expect(plan).toHaveLength(4);
      }
    }
  });

  it('tries a DOWN replica only after every live node, even for token-aware routing', () => {
    const router = new Router('token');
    const nodes = [node('a', { state: 'DOWN' }), node('b', { state: 'DOWN' }), node('c')];
    expect(ids(router.route(input(nodes, { replicas: ['a', 'b'] })).plan)[0]).toBe('c');
    expect(router.route(input(nodes, { replicas: ['a', 'b'] })).reason).toContain('no replica is up');
  });

  it('treats a node this client could not reach as DOWN', () => {
    const router = new Router('token');
    const plan = ids(router.route(input(five, { replicas: ['a', 'b'], suspect: ['a'] })).plan);
    expect(plan[0]).toBe('b');
    expect(plan.at(-1)).toBe('a');
  });

  it('never lists a node that has left the ring', () => {
    const router = new Router('rr');
    const plan = ids(router.route(input([node('a', { status: 'LEFT', state: 'DOWN' }), node('b')])).plan);
    expect(plan).toEqual(['b']);
  });

  it('latency-aware routing skips nodes much slower than the fastest', () => {
    const router = new Router('latency');
    const i = input(five, { latency: { a: 1, b: 1.2, c: 1.1, d: 40, e: 9 } });
    const chosen = firsts(router, i, 20);
    expect(new Set(chosen)).toEqual(new Set(['a', 'b', 'c']));
    // The slow ones are still there as a last resort, fastest first.
    expect(ids(router.route(i).plan).slice(3)).toEqual(['e', 'd']);
  });

  it('latency-aware routing tries unmeasured nodes, which is how they get measured', () => {
    const router = new Router('latency');
    const chosen = firsts(router, input(five, { latency: { a: 1, b: 50 } }), 20);
    expect(new Set(chosen)).toEqual(new Set(['a', 'c', 'd', 'e']));
  });

  it('latency-aware routing gives a slow node another chance once its measurement is stale', () => {
    const router = new Router('latency', { exclusionFactor: 2, exclusionSlackMs: 1, retryPeriodMs: 1000 });
    const slowRecently = input(five, { latency: { a: 1, b: 1, c: 1, d: 1, e: { ewmaMs: 50, ageMs: 200 } } });
    expect(firsts(router, slowRecently, 20)).not.toContain('e');
    const slowLongAgo = input(five, { latency: { a: 1, b: 1, c: 1, d: 1, e: { ewmaMs: 50, ageMs: 1500 } } });
    expect(firsts(router, slowLongAgo, 20)).toContain('e');
  });

  it('dc-aware routing uses local nodes first and remote ones only when none is up', () => {
    const nodes = [node('a', { dc: 'east' }), node('b', { dc: 'west' }), node('c', { dc: 'west' })];
    const router = new Router('dc');
    const chosen = firsts(router, input(nodes, { localDc: 'west' }), 10);
    expect(new Set(chosen)).toEqual(new Set(['b', 'c']));
    expect(ids(router.route(input(nodes, { localDc: 'west' })).plan).at(-1)).toBe('a');
    const westDown = [node('a', { dc: 'east' }), node('b', { dc: 'west', state: 'DOWN' })];
    const choice = router.route(input(westDown, { localDc: 'west' }));
    expect(ids(choice.plan)).toEqual(['a', 'b']);
    expect(choice.reason).toContain('no node of west is up');
  });

  it('default routing picks a replica in the local DC, skipping a slow one', () => {
    const nodes = [
      node('a', { dc: 'east' }),
      node('b', { dc: 'west' }),
      node('c', { dc: 'west' }),
      node('d', { dc: 'west' }),
      node('e', { dc: 'east' }),
    ];
    const router = new Router('default');
    const i = input(nodes, { localDc: 'west', replicas: ['a', 'b', 'c'], latency: { a: 0.2, b: 30, c: 2 } });
    expect(new Set(firsts(router, i, 10))).toEqual(new Set(['c']));
    const plan = ids(router.route(i).plan);
    // Local replicas by latency, then the other local node, then the remote replica, then the rest.
    expect(plan).toEqual(['c', 'b', 'd', 'a', 'e']);
  });

  it('default routing falls back to a local node when no local replica is up', () => {
    const nodes = [
      node('a', { dc: 'east' }),
      node('b', { dc: 'west', state: 'DOWN' }),
      node('c', { dc: 'west' }),
    ];
    const choice = new Router('default').route(input(nodes, { localDc: 'west', replicas: ['a', 'b'] }));
    expect(ids(choice.plan)).toEqual(['c', 'a', 'b']);
    expect(choice.reason).toContain('a local node');
  });

  it('a LOCAL_* request is coordinated only by local nodes, under every policy', () => {
    const nodes = [
      node('a', { dc: 'east' }),
      node('b', { dc: 'east' }),
      node('c', { dc: 'west' }),
      node('d', { dc: 'west', state: 'DOWN' }),
    ];
    const local = {
      ...input(nodes, { localDc: 'west', replicas: ['a', 'c', 'd'] }),
      localCoordinatorOnly: true,
    };
    for (const policy of ['rr', 'token', 'latency', 'dc', 'default'] as const) {
      const router = new Router(policy);
      for (let i = 0; i < 4; i++) {
        const choice = router.route(local);
        // The live one first; the DOWN one last, still worth a try; never a node of east.
        expect(ids(choice.plan), policy).toEqual(['c', 'd']);
        expect(choice.onlyDc).toBe('west');
        expect(choice.reason).toContain("among the nodes of west (a LOCAL_* CL counts the coordinator's DC)");
      }
      // Without it, east's nodes are candidates again.
      expect(router.route({ ...local, localCoordinatorOnly: false }).plan).toHaveLength(4);
    }
  });
});

describe('LatencyScores', () => {
  it('averages recent samples and starts over after a long silence', () => {
    const s = new LatencyScores(0.5, 1000);
    s.record('a', 10, 0);
    s.record('a', 20, 100);
    expect(s.score('a', 100)).toEqual({ ewmaMs: 15, ageMs: 0 });
    expect(s.score('a', 600)?.ageMs).toBe(500);
    // A node skipped as slow and then retried is judged by how it answers now.
    s.record('a', 1, 2000);
    expect(s.score('a', 2000)?.ewmaMs).toBe(1);
    expect(s.score('b', 2000)).toBeUndefined();
  });
});
