import type { RoutePolicyName } from './api.js';
import type { ClusterTopology, NodeDoc } from './topology.js';

/** What a routing policy may look at for one request. */
export interface RouteInput {
  topology: ClusterTopology;
  /** The key's replicas in ring order, when the request has a key. */
  replicas: readonly NodeDoc[];
  localDc: string;
  /** Recent response time per node (EWMA, ms); undefined when not measured yet. */
  latencyMs(hostId: string): number | undefined;
}

export interface RouteChoice {
  /** Candidates in the order to try them. */
  plan: NodeDoc[];
  /** Why the first one was chosen, for traces. */
  reason: string;
}

/** A node slower than this many times the fastest is skipped by latency-aware routing (as the DataStax drivers' default). */
const LATENCY_EXCLUSION_FACTOR = 2;

/** Policies order candidates; DOWN nodes always go last, so they are only tried when nothing else is left. */
export class Router {
  private rrCounter = 0;

  constructor(private readonly policy: RoutePolicyName) {}

  route(input: RouteInput): RouteChoice {
    const up = (n: NodeDoc) => n.state === 'UP' && n.status !== 'LEFT';
    const all = input.topology.nodes.filter((n) => n.status !== 'LEFT');
    const rotate = <T>(xs: T[]): T[] => {
      if (xs.length === 0) return xs;
      const k = this.rrCounter++ % xs.length;
      return [...xs.slice(k), ...xs.slice(0, k)];
    };
    const byLatency = (xs: NodeDoc[]) =>
      [...xs].sort(
        (a, b) => (input.latencyMs(a.hostId) ?? Infinity) - (input.latencyMs(b.hostId) ?? Infinity),
      );
    const downLast = (xs: NodeDoc[]) => [...xs.filter(up), ...xs.filter((n) => !up(n))];
    const withRest = (first: NodeDoc[]) => [...first, ...all.filter((n) => !first.includes(n))];

    switch (this.policy) {
      case 'rr':
        return { plan: downLast(rotate(all)), reason: 'round-robin' };
      case 'token': {
        if (input.replicas.length === 0)
          return { plan: downLast(rotate(all)), reason: 'round-robin (no key)' };
        return {
          plan: downLast(withRest(rotate([...input.replicas]))),
          reason: 'token-aware: a replica of the key',
        };
      }
      case 'latency': {
        const measured = all.filter(up);
        const fastest = Math.min(...measured.map((n) => input.latencyMs(n.hostId) ?? Infinity));
        const ok = measured.filter((n) => {
          const l = input.latencyMs(n.hostId);
          return (
            l === undefined || !Number.isFinite(fastest) || l <= fastest * LATENCY_EXCLUSION_FACTOR + 0.5
          );
        });
        return {
          plan: downLast(withRest(rotate(ok))),
          reason: `latency-aware: within ${LATENCY_EXCLUSION_FACTOR}x of the fastest (${Number.isFinite(fastest) ? fastest.toFixed(2) : '?'} ms)`,
        };
      }
      case 'dc': {
        const local = all.filter((n) => n.dc === input.localDc);
        return {
          plan: downLast(withRest(rotate(local))),
          reason: `dc-aware: local DC ${input.localDc} first`,
        };
      }
      case 'default': {
        const localReplicas = input.replicas.filter((n) => n.dc === input.localDc);
        const local = all.filter((n) => n.dc === input.localDc);
        const first = localReplicas.length > 0 ? byLatency(localReplicas) : byLatency(local);
        return {
          plan: downLast(withRest(first)),
          reason:
            localReplicas.length > 0
              ? 'token-aware in the local DC, fastest first'
              : `local DC ${input.localDc}, fastest first`,
        };
      }
    }
  }
}
