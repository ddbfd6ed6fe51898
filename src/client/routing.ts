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
  suspect?: ((hostId: string) => boolean) | undefined;
  /**
   * Only nodes of localDc may coordinate: the request's CL (LOCAL_ONE, LOCAL_QUORUM) is counted
   * in the coordinator's data center, which must be the client's, whatever the policy prefers.
   */
  localCoordinatorOnly?: boolean;
}

export interface RouteChoice {
  /** Candidates in the order to try them. */
  readonly plan: NodeDoc[];
  /** Why the first one was chosen, for traces. */
  readonly reason: string;
  /** Set when only this data center's nodes were candidates (see localCoordinatorOnly). */
  readonly onlyDc?: string;
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
 *
 * It runs once per request on the client's hot path, so each policy works out only what it
 * uses: latencies are read only by the latency-ranked policies, once per node, and the reason
 * that quotes the fastest time is formatted only when a trace reads it. Host ids are taken to
 * be distinct, and the replicas to be the nodes' own entries (a DOWN node is never an up replica).
 */
export class Router {
  private rrCounter = 0;
  private readonly withinReason: string;

  constructor(
    private readonly policy: RoutePolicyName,
    private readonly options: RouterOptions = DEFAULT_ROUTER_OPTIONS,
  ) {
    this.withinReason = `latency-aware: within ${options.exclusionFactor}x of the fastest`;
  }

  route(input: RouteInput): RouteChoice {
    if (input.localCoordinatorOnly) {
      const { localDc } = input;
      const inDc = (n: NodeDoc) => n.dc === localDc;
      const choice = this.route({
        ...input,
        nodes: input.nodes.filter(inDc),
        replicas: input.replicas.filter(inDc),
        localCoordinatorOnly: false,
      });
      return {
        plan: choice.plan,
        get reason() {
          return `${choice.reason}, among the nodes of ${localDc} (a LOCAL_* CL counts the coordinator's DC)`;
        },
        onlyDc: localDc,
      };
    }
    const turn = this.rrCounter++;
    const up: NodeDoc[] = [];
    const down: NodeDoc[] = [];
    for (const n of input.nodes) {
      if (n.status === 'LEFT') continue;
      if (isUp(n, input)) up.push(n);
      else down.push(n);
    }
    const plan: NodeDoc[] = [];

    switch (this.policy) {
      case 'rr':
        pushRotated(plan, up, turn);
        pushAll(plan, down);
        return { plan, reason: 'round-robin' };
      case 'token': {
        const upReplicas = upOf(input.replicas, input);
        if (upReplicas.length === 0) {
          pushRotated(plan, up, turn);
          pushAll(plan, down);
          return {
            plan,
            reason: input.replicas.length === 0 ? 'round-robin (no key)' : 'round-robin (no replica is up)',
          };
        }
        // The replicas first, then every other node: the replicas are few, a scan finds them.
        pushRotated(plan, upReplicas, turn);
        pushRotated(plan, up, turn, upReplicas);
        pushAll(plan, down);
        return { plan, reason: 'token-aware: a replica of the key' };
      }
      case 'latency': {
        const speeds = new Speeds(up, input, this.options);
        speeds.pushRanked(plan, up, turn);
        pushAll(plan, down);
        const first = up.length > 0 ? plan[0] : undefined;
        return new RankedChoice(
          plan,
          first !== undefined && speeds.isSlow(first)
            ? 'latency-aware: every node is slow, the fastest first'
            : this.withinReason,
          speeds.fastest,
        );
      }
      case 'dc': {
        const localUp: NodeDoc[] = [];
        const remoteUp: NodeDoc[] = [];
        for (const n of up) (n.dc === input.localDc ? localUp : remoteUp).push(n);
        pushRotated(plan, localUp, turn);
        pushRotated(plan, remoteUp, turn);
        pushAll(plan, down);
        return {
          plan,
          reason:
            localUp.length > 0
              ? `dc-aware: local DC ${input.localDc} first`
              : `dc-aware: no node of ${input.localDc} is up, a remote one`,
        };
      }
      case 'default':
        return this.routeDefault(input, up, down, turn, plan);
    }
  }

  /** Local replicas, local nodes, remote replicas, the rest: each group ranked by latency. */
  private routeDefault(
    input: RouteInput,
    up: NodeDoc[],
    down: NodeDoc[],
    turn: number,
    plan: NodeDoc[],
  ): RouteChoice {
    const speeds = new Speeds(up, input, this.options);
    const upReplicas = upOf(input.replicas, input);
    const localReplicas: NodeDoc[] = [];
    for (const n of upReplicas) if (n.dc === input.localDc) localReplicas.push(n);
    const localUp: NodeDoc[] = [];
    for (const n of up) if (n.dc === input.localDc) localUp.push(n);
    const seen = new Set<string>();
    for (const group of [localReplicas, localUp, upReplicas, up]) {
      // A group whose nodes are all placed adds nothing (commonly: every node is a local replica).
      if (group.every((n) => seen.has(n.hostId))) continue;
      const ranked: NodeDoc[] = [];
      speeds.pushRanked(ranked, group, turn);
      pushUnseen(plan, seen, ranked);
    }
    const rest: NodeDoc[] = [];
    pushRotated(rest, up, turn);
    pushAll(rest, down);
    pushUnseen(plan, seen, rest);
    if (localReplicas.length > 0) {
      return new RankedChoice(plan, `token-aware in local DC ${input.localDc}, by latency`, speeds.fastest);
    }
    return {
      plan,
      reason:
        localUp.length > 0
          ? `no replica of the key is up in ${input.localDc}: a local node, by latency`
          : `no node of ${input.localDc} is up: a remote ${upReplicas.length > 0 ? 'replica' : 'node'}, by latency`,
    };
  }
}

function isUp(n: NodeDoc, input: RouteInput): boolean {
  return n.state === 'UP' && !(input.suspect?.(n.hostId) ?? false);
}

function upOf(xs: readonly NodeDoc[], input: RouteInput): NodeDoc[] {
  const out: NodeDoc[] = [];
  for (const n of xs) if (isUp(n, input)) out.push(n);
  return out;
}

function listed(xs: readonly NodeDoc[], hostId: string): boolean {
  for (const x of xs) if (x.hostId === hostId) return true;
  return false;
}

/** Appends `xs` turned left by `turn` (so successive requests start at successive nodes), minus `skip`. */
function pushRotated(out: NodeDoc[], xs: readonly NodeDoc[], turn: number, skip?: readonly NodeDoc[]): void {
  const len = xs.length;
  if (len === 0) return;
  const k = turn % len;
  for (let i = 0; i < len; i++) {
    const n = xs[(k + i) % len] as NodeDoc;
    if (skip === undefined || !listed(skip, n.hostId)) out.push(n);
  }
}

function pushAll(out: NodeDoc[], xs: readonly NodeDoc[]): void {
  for (const n of xs) out.push(n);
}

function pushUnseen(out: NodeDoc[], seen: Set<string>, xs: readonly NodeDoc[]): void {
  for (const n of xs) {
    if (seen.has(n.hostId)) continue;
    seen.add(n.hostId);
    out.push(n);
  }
}

/** The live nodes' recent latencies for one request, each read once, and the slowness threshold. */
class Speeds {
  /** Fresh latency by host id; undefined for a node unmeasured or measured too long ago. */
  private readonly ms = new Map<string, number | undefined>();
  readonly fastest: number | undefined;
  private readonly threshold: number;

  constructor(
    up: readonly NodeDoc[],
    private readonly input: RouteInput,
    private readonly options: RouterOptions,
  ) {
    let fastest: number | undefined;
    for (const n of up) {
      const ms = this.read(n.hostId);
      this.ms.set(n.hostId, ms);
      if (ms !== undefined) fastest = fastest === undefined ? ms : Math.min(fastest, ms);
    }
    this.fastest = fastest;
    this.threshold =
      fastest === undefined ? Infinity : fastest * options.exclusionFactor + options.exclusionSlackMs;
  }

  private read(hostId: string): number | undefined {
    const s = this.input.latency(hostId);
    return s !== undefined && s.ageMs <= this.options.retryPeriodMs ? s.ewmaMs : undefined;
  }

  private of(n: NodeDoc): number | undefined {
    // A replica that is not a live member (one that has LEFT) was not read with the others.
    return this.ms.has(n.hostId) ? this.ms.get(n.hostId) : this.read(n.hostId);
  }

  /** Unmeasured and stale nodes are not slow: trying them is how they get measured. */
  isSlow(n: NodeDoc): boolean {
    return (this.of(n) ?? 0) > this.threshold;
  }

  /** Appends the nodes within the threshold in turn, then the slow ones fastest first. */
  pushRanked(out: NodeDoc[], xs: readonly NodeDoc[], turn: number): void {
    if (this.threshold === Infinity) {
      pushRotated(out, xs, turn);
      return;
    }
    const fast: NodeDoc[] = [];
    const slow: NodeDoc[] = [];
    for (const n of xs) (this.isSlow(n) ? slow : fast).push(n);
    pushRotated(out, fast, turn);
    if (slow.length > 1) slow.sort((a, b) => (this.of(a) ?? 0) - (this.of(b) ?? 0));
    pushAll(out, slow);
  }
}

/** A latency-ranked choice: its reason quotes the fastest time, formatted only when read. */
class RankedChoice implements RouteChoice {
  constructor(
    readonly plan: NodeDoc[],
    private readonly why: string,
    private readonly fastestMs: number | undefined,
  ) {}

  get reason(): string {
    const fastest =
      this.fastestMs === undefined ? 'none measured yet' : `fastest ${this.fastestMs.toFixed(2)} ms`;
    return `${this.why} (${fastest})`;
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
