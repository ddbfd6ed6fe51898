import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RoutePolicyName } from '../../../src/client/api.js';
import {
  DEFAULT_ROUTER_OPTIONS,
  Router,
  type LatencyScore,
  type RouteChoice,
  type RouteInput,
  type RouterOptions,
} from '../../../src/client/routing.js';
import type { NodeDoc } from '../../../src/client/topology.js';

/**
 * The first Router.route, kept verbatim as the reference: it worked out every policy's inputs
 * (latency scores, the fastest node, its reason text) on each call. The leaner route() must give
 * the same plans and reasons, call for call.
 */
class ReferenceRouter {
  private rrCounter = 0;

  constructor(
    private readonly policy: RoutePolicyName,
    private readonly options: RouterOptions = DEFAULT_ROUTER_OPTIONS,
  ) {}

  route(input: RouteInput): RouteChoice {
    const turn = this.rrCounter++;
    const isUp = (n: NodeDoc) => n.state === 'UP' && !(input.suspect?.(n.hostId) ?? false);
    const members = input.nodes.filter((n) => n.status !== 'LEFT');
    const up = members.filter(isUp);
    const down = members.filter((n) => !isUp(n));
    const rotate = (xs: readonly NodeDoc[]): NodeDoc[] => {
      if (xs.length === 0) return [];
      const k = turn % xs.length;
      return [...xs.slice(k), ...xs.slice(0, k)];
    };
    const fresh = (n: NodeDoc) => {
      const s = input.latency(n.hostId);
      return s !== undefined && s.ageMs <= this.options.retryPeriodMs ? s.ewmaMs : undefined;
    };
    const measured = up.map(fresh).filter((l): l is number => l !== undefined);
    const fastest = measured.length > 0 ? Math.min(...measured) : undefined;
    const threshold =
      fastest === undefined
        ? Infinity
        : fastest * this.options.exclusionFactor + this.options.exclusionSlackMs;
    const slow = (n: NodeDoc) => (fresh(n) ?? 0) > threshold;
    const byLatency = (xs: readonly NodeDoc[]) => [
      ...rotate(xs.filter((n) => !slow(n))),
      ...xs.filter(slow).sort((a, b) => (fresh(a) ?? 0) - (fresh(b) ?? 0)),
    ];
    const plan = (...groups: NodeDoc[][]): NodeDoc[] => {
      const seen = new Set<string>();
      const out: NodeDoc[] = [];
      for (const n of [...groups.flat(), ...rotate(up), ...down]) {
        if (seen.has(n.hostId)) continue;
        seen.add(n.hostId);
        out.push(n);
      }
      return out;
    };
    const upReplicas = input.replicas.filter(isUp);
    const local = (n: NodeDoc) => n.dc === input.localDc;
    const fastestText = fastest === undefined ? 'none measured yet' : `fastest ${fastest.toFixed(2)} ms`;

    switch (this.policy) {
      case 'rr':
        return { plan: plan(rotate(up)), reason: 'round-robin' };
      case 'token':
        if (upReplicas.length === 0) {
          return {
            plan: plan(rotate(up)),
            reason: input.replicas.length === 0 ? 'round-robin (no key)' : 'round-robin (no replica is up)',
          };
        }
        return { plan: plan(rotate(upReplicas)), reason: 'token-aware: a replica of the key' };
      case 'latency': {
        const first = byLatency(up)[0];
        return {
          plan: plan(byLatency(up)),
          reason:
            first && slow(first)
              ? `latency-aware: every node is slow, the fastest first (${fastestText})`
              : `latency-aware: within ${this.options.exclusionFactor}x of the fastest (${fastestText})`,
        };
      }
      case 'dc': {
        const localUp = up.filter(local);
        return {
          plan: plan(rotate(localUp), rotate(up.filter((n) => !local(n)))),
          reason:
            localUp.length > 0
              ? `dc-aware: local DC ${input.localDc} first`
              : `dc-aware: no node of ${input.localDc} is up, a remote one`,
        };
      }
      case 'default': {
        const localReplicas = upReplicas.filter(local);
        const ordered = plan(
          byLatency(localReplicas),
          byLatency(up.filter(local)),
          byLatency(upReplicas),
          byLatency(up),
        );
        const reason =
          localReplicas.length > 0
            ? `token-aware in local DC ${input.localDc}, by latency (${fastestText})`
            : up.some(local)
              ? `no replica of the key is up in ${input.localDc}: a local node, by latency`
              : `no node of ${input.localDc} is up: a remote ${upReplicas.length > 0 ? 'replica' : 'node'}, by latency`;
        return { plan: ordered, reason };
      }
    }
  }
}

const DCS = ['dc1', 'dc2', 'dc3'];

const nodeArb = fc.record({
  dc: fc.constantFrom(...DCS),
  state: fc.constantFrom('UP' as const, 'UP' as const, 'DOWN' as const),
  status: fc.constantFrom(
    'NORMAL' as const,
    'NORMAL' as const,
    'JOINING' as const,
    'LEAVING' as const,
    'LEFT' as const,
  ),
  // Whole milliseconds make ties (the sort of slow nodes must stay stable) and threshold edges likely.
  latency: fc.option(
    fc.record({
      ewmaMs: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.double({ min: 0, max: 100, noNaN: true })),
      ageMs: fc.oneof(fc.constantFrom(0, 1000, 2000, 2001), fc.integer({ min: 0, max: 4000 })),
    }),
    { nil: undefined },
  ),
  suspect: fc.boolean(),
});

/** A cluster as one request sees it: nodes, the key's replicas among them, latencies, suspects. */
const inputArb = fc
  .record({
    nodes: fc.array(nodeArb, { maxLength: 8 }),
    replicaPicks: fc.array(fc.nat(), { maxLength: 4 }),
    localDc: fc.constantFrom(...DCS),
  })
  .map(({ nodes, replicaPicks, localDc }) => {
    const docs: NodeDoc[] = nodes.map((n, i) => ({
      hostId: `n${i}`,
      address: `ws://127.0.0.1:${7401 + i}`,
      dc: n.dc,
      rack: 'rack1',
      tokens: [String(i)],
      status: n.status,
      state: n.state,
      load: 0,
    }));
    // Distinct nodes in any order, LEFT ones included: route() takes whatever replicas it is given.
    const replicas: NodeDoc[] = [];
    const pool = [...docs];
    for (const pick of replicaPicks) {
      if (pool.length === 0) break;
      replicas.push(pool.splice(pick % pool.length, 1)[0] as NodeDoc);
    }
    const latency = new Map<string, LatencyScore | undefined>(nodes.map((n, i) => [`n${i}`, n.latency]));
    const suspects = new Set(nodes.flatMap((n, i) => (n.suspect ? [`n${i}`] : [])));
    const input: RouteInput = {
      nodes: docs,
      replicas,
      localDc,
      latency: (id) => latency.get(id),
      suspect: (id) => suspects.has(id),
    };
    return input;
  });

const optionsArb: fc.Arbitrary<RouterOptions> = fc.oneof(
  fc.constant(DEFAULT_ROUTER_OPTIONS),
  fc.record({
    // Below 1 even the fastest node counts as slow: the "every node is slow" reason.
    exclusionFactor: fc.constantFrom(0.5, 1, 1.5, 2, 3),
    exclusionSlackMs: fc.constantFrom(0, 0.5, 1),
    retryPeriodMs: fc.constantFrom(0, 1000, 2000, 3000),
  }),
);

const policyArb = fc.constantFrom<RoutePolicyName>('rr', 'token', 'latency', 'dc', 'default');

describe('Router.route against the reference implementation', () => {
  it('returns the same plans and reasons, call after call', () => {
    fc.assert(
      fc.property(
        policyArb,
        optionsArb,
        fc.array(inputArb, { minLength: 1, maxLength: 10 }),
        (policy, options, inputs) => {
          const router = new Router(policy, options);
          const reference = new ReferenceRouter(policy, options);
          for (const input of inputs) {
            const got = router.route(input);
            const want = reference.route(input);
            expect(got.plan.map((n) => n.hostId)).toEqual(want.plan.map((n) => n.hostId));
            expect(got.plan.every((n, i) => n === want.plan[i])).toBe(true);
            expect(got.reason).toBe(want.reason);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps them the same while one topology is routed many times (every rotation)', () => {
    fc.assert(
      fc.property(policyArb, optionsArb, inputArb, (policy, options, input) => {
        const router = new Router(policy, options);
        const reference = new ReferenceRouter(policy, options);
        for (let k = 0; k < 12; k++) {
          const got = router.route(input);
          const want = reference.route(input);
          expect(got.plan.map((n) => n.hostId)).toEqual(want.plan.map((n) => n.hostId));
          expect(got.reason).toBe(want.reason);
        }
      }),
      { numRuns: 500 },
    );
  });
});
