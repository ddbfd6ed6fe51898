import type { RoutePolicyName } from './api.js';
import type { NodeDoc } from './topology.js';

/** A node's recent response time as this client measured it. */
export interface LatencyScore {
  /** Exponentially weighted moving average of round trips, ms. */
  ewmaMs: number;
  /** How long ago the last sample came in, ms. */
  ageMs: number;
}

/** What a routing policy may look at for one request. */
export interface RouteInput {
  /** Every node the client knows, as the topology lists them. */
  nodes: readonly NodeDoc[];
  /** The key's replicas in ring order, when the request has a key. */
  replicas: readonly NodeDoc[];
  localDc: string;
  latency(hostId: string): LatencyScore | undefined;
  /** Nodes this client failed to reach a moment ago: treated as DOWN until they answer again. */
  suspect?(hostId: string): boolean;
}

export interface RouteChoice {
  /** Candidates in the order to try them. */
  plan: NodeDoc[];
  /** Why the first one was chosen, for traces. */
  reason: string;
}

export interface RouterOptions {
  /** A node slower than this many times the fastest is skipped by latency-aware routing. */
  exclusionFactor: number;
  /** Added to the threshold so that sub-millisecond jitter on loopback excludes nobody, ms. */
  exclusionSlackMs: number;
  /**
   * A measurement older than this is stale: the node is tried again, so that a node which was
   * slow and recovered gets traffic back (the DataStax drivers' retry period).
   */
  retryPeriodMs: number;
}

/** As the DataStax drivers' latency-aware policy (exclusion threshold 2), with a shorter retry period. */
export const DEFAULT_ROUTER_OPTIONS: RouterOptions = {
  exclusionFactor: 2,
  exclusionSlackMs: 1,
  retryPeriodMs: 2000,
};

/**
 * Orders the candidate coordinators of one request. Pure: the same input and the same number of
 * earlier calls give the same plan. A node known DOWN (or that this client could not reach a
 * moment ago) always goes last, so it is only tried when nothing else is left; a node that has
 * LEFT is never tried.
 */
export class Router {
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
    // Unmeasured and stale nodes are not slow: trying them is how they get measured.
    const slow = (n: NodeDoc) => (fresh(n) ?? 0) > threshold;
    /** Nodes within the threshold in turn, then the slow ones fastest first. */
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

/**
 * Per-node response times for latency-aware routing: an EWMA per node and when it was last fed.
 * An average older than the retry period describes a node as it was, so the next sample replaces
 * it instead of being blended in: a node that recovered is judged by how it answers now.
 */
export class LatencyScores {
  private readonly scores = new Map<string, { ewmaMs: number; atMs: number }>();

  constructor(
    private readonly alpha = 0.2,
    private readonly staleAfterMs = DEFAULT_ROUTER_OPTIONS.retryPeriodMs,
  ) {}

  record(hostId: string, ms: number, nowMs: number): void {
    const prev = this.scores.get(hostId);
    const ewmaMs =
      prev === undefined || nowMs - prev.atMs > this.staleAfterMs
        ? ms
        : prev.ewmaMs + this.alpha * (ms - prev.ewmaMs);
    this.scores.set(hostId, { ewmaMs, atMs: nowMs });
  }

  score(hostId: string, nowMs: number): LatencyScore | undefined {
    const s = this.scores.get(hostId);
    return s === undefined ? undefined : { ewmaMs: s.ewmaMs, ageMs: nowMs - s.atMs };
  }
}
