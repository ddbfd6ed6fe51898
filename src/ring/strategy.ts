import type { Replication } from '../protocol/consistency.js';
import type { RingNode, RingView, TokenRange, TokenRing } from './ring.js';

/**
 * Replica placement: a pure function of the ring and the keyspace's replication (riak_core's
 * preference list). All keys of one ring range share their replicas, so placement is computed
 * once per range and cached per ring, which keeps `replicasFor` cheap on the request path.
 */

export interface RangeReplicas extends TokenRange {
  replicas: readonly RingNode[];
}

/** Replicas of every range of one ring for one replication, computed on first use. */
export class ReplicaMap {
  private readonly byRange: (readonly RingNode[] | undefined)[];
  private readonly place: (index: number) => RingNode[];

  constructor(
    readonly ring: TokenRing,
    readonly replication: Replication,
  ) {
    this.byRange = new Array<readonly RingNode[] | undefined>(ring.tokenCount);
    this.place = replicaPlacement(ring, replication);
  }

  /** The replicas of the range that ends at sorted token `index`, in clockwise order. */
  forRange(index: number): readonly RingNode[] {
    if (this.ring.tokenCount === 0) return [];
    let replicas = this.byRange[index];
    if (replicas === undefined) {
      replicas = Object.freeze(this.place(index));
      this.byRange[index] = replicas;
    }
    return replicas;
  }

  forToken(token: bigint): readonly RingNode[] {
    if (this.ring.tokenCount === 0) return [];
    return this.forRange(this.ring.firstIndexAtOrAfter(token));
  }
}

interface RingCache {
  byObject: WeakMap<Replication, ReplicaMap>;
  byKey: Map<string, ReplicaMap>;
}

const cache = new WeakMap<TokenRing, RingCache>();

function replicationKey(r: Replication): string {
  if (r.strategy === 'simple') return `simple:${r.rf}`;
  const dcs = Object.entries(r.dcs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `network:${JSON.stringify(dcs)}`;
}

/** The cached replica map of this ring and replication. */
export function replicaMap(ring: TokenRing, replication: Replication): ReplicaMap {
  let rc = cache.get(ring);
  if (rc === undefined) {
    rc = { byObject: new WeakMap(), byKey: new Map() };
    cache.set(ring, rc);
  }
  let map = rc.byObject.get(replication);
  if (map === undefined) {
    const key = replicationKey(replication);
    map = rc.byKey.get(key);
    if (map === undefined) {
      map = new ReplicaMap(ring, replication);
      rc.byKey.set(key, map);
    }
    rc.byObject.set(replication, map);
  }
  return map;
}

/**
 * The replicas of a key's token: distinct nodes in clockwise order from the first token >= it.
 * `simple`: min(RF, nodes). `network`: min(RF, nodes in the DC) per DC, rack-aware. An empty
 * ring has no replicas.
 */
export function replicasFor(ring: TokenRing, replication: Replication, token: bigint): readonly RingNode[] {
  return replicaMap(ring, replication).forToken(token);
}

/** Every range of the ring with its replicas, in token order (for repair and streaming). */
export function rangeReplicas(ring: TokenRing, replication: Replication): RangeReplicas[] {
  const map = replicaMap(ring, replication);
  const out: RangeReplicas[] = [];
  for (let i = 0; i < ring.tokenCount; i++) out.push({ ...ring.rangeAt(i), replicas: map.forRange(i) });
  return out;
}

/** The ranges for which this node is a replica, in token order. */
export function replicaRanges(ring: TokenRing, replication: Replication, hostId: string): TokenRange[] {
  return rangeReplicas(ring, replication)
    .filter((r) => r.replicas.some((n) => n.hostId === hostId))
    .map(({ start, end }) => ({ start, end }));
}

/**
 * The uncached placement function of a ring (or of a draft ring the token allocator tries out):
 * the replicas of the range that ends at sorted token `index`.
 */
export function replicaPlacement(ring: RingView, replication: Replication): (index: number) => RingNode[] {
  return replication.strategy === 'simple'
    ? (index) => simpleReplicas(ring, replication.rf, index)
    : placeNetwork(ring, replication.dcs);
}

function simpleReplicas(ring: RingView, rf: number, index: number): RingNode[] {
  const wanted = Math.min(rf, ring.size);
  const out: RingNode[] = [];
  for (let step = 0; out.length < wanted && step < ring.tokenCount; step++) {
    const node = ring.ownerAt(index + step);
    if (!out.includes(node)) out.push(node);
  }
  return out;
}

interface DcTopology {
  nodeCount: number;
  racks: Set<string>;
}

/**
 * Cassandra's NetworkTopologyStrategy. Walking clockwise, each DC takes nodes until it has its
 * RF; within a DC a node on a rack already used is skipped until every rack of the DC has a
 * replica, and only then are the skipped nodes taken, in the order they were passed. So replicas
 * spread over as many racks as the DC has, and losing a rack loses as few replicas as possible.
 */
function placeNetwork(ring: RingView, dcs: Record<string, number>): (index: number) => RingNode[] {
  const topology = new Map<string, DcTopology>();
  for (const node of ring.nodes()) {
    let t = topology.get(node.dc);
    if (t === undefined) {
      t = { nodeCount: 0, racks: new Set() };
      topology.set(node.dc, t);
    }
    t.nodeCount++;
    t.racks.add(node.rack);
  }

  return (index) => {
    interface DcFill {
      wanted: number;
      rackCount: number;
      taken: number;
      seenRacks: Set<string>;
      skipped: RingNode[];
    }
    const fills = new Map<string, DcFill>();
    for (const [dc, rf] of Object.entries(dcs)) {
      const t = topology.get(dc);
      if (t === undefined || rf <= 0) continue;
      fills.set(dc, {
        wanted: Math.min(rf, t.nodeCount),
        rackCount: t.racks.size,
        taken: 0,
        seenRacks: new Set(),
        skipped: [],
      });
    }
    let dcsToFill = fills.size;
    const out: RingNode[] = [];
    // Nodes already taken or skipped: a node is met once per vnode but counts once.
    const met = new Set<RingNode>();
    const take = (fill: DcFill, node: RingNode): void => {
      out.push(node);
      fill.taken++;
      if (fill.taken === fill.wanted) dcsToFill--;
    };

    for (let step = 0; dcsToFill > 0 && step < ring.tokenCount; step++) {
      const node = ring.ownerAt(index + step);
      const fill = fills.get(node.dc);
      if (fill === undefined || fill.taken === fill.wanted || met.has(node)) continue;
      met.add(node);
      if (fill.seenRacks.size === fill.rackCount) {
        take(fill, node);
      } else if (fill.seenRacks.has(node.rack)) {
        fill.skipped.push(node);
      } else {
        fill.seenRacks.add(node.rack);
        take(fill, node);
        if (fill.seenRacks.size === fill.rackCount) {
          for (const skipped of fill.skipped) {
            if (fill.taken === fill.wanted) break;
            take(fill, skipped);
          }
        }
      }
    }
    return out;
  };
}
