import type { Replication } from '../protocol/consistency.js';
import type { OpResult } from '../protocol/ops/index.js';
import { parseToken } from '../ring/partitioner.js';
import { TokenRing, type RingNode } from '../ring/ring.js';
import { replicaMap } from '../ring/strategy.js';

export type TopologyDoc = OpResult<'topology'>;
export type NodeDoc = TopologyDoc['nodes'][number];

/**
 * The client's picture of the cluster, as the contact node last described it: nodes with their
 * tokens and liveness, and the keyspaces. It answers routing questions without a round trip.
 */
export class ClusterTopology {
  readonly ring: TokenRing;
  private readonly byId: Map<string, NodeDoc>;
  /**
   * Per replication, each ring range's replicas as node entries, filled in on first use: every
   * keyed request asks, and all keys of a range share them (as the ring's own replica map does).
   */
  private readonly replicaDocs = new Map<Replication, (readonly NodeDoc[] | undefined)[]>();

  constructor(readonly doc: TopologyDoc) {
    this.byId = new Map(doc.nodes.map((n) => [n.hostId, n]));
    const owners: RingNode[] = doc.nodes
      .filter((n) => (n.status === 'NORMAL' || n.status === 'LEAVING') && n.tokens.length > 0)
      .map((n) => ({ hostId: n.hostId, dc: n.dc, rack: n.rack, tokens: n.tokens.map(parseToken) }));
    this.ring = new TokenRing(owners);
  }

  get nodes(): readonly NodeDoc[] {
    return this.doc.nodes;
  }

  node(hostId: string): NodeDoc | undefined {
    return this.byId.get(hostId);
  }

  isUp(hostId: string): boolean {
    return this.byId.get(hostId)?.state === 'UP';
  }

  replication(keyspace: string): Replication | undefined {
    return this.doc.keyspaces[keyspace];
  }

  /** The key's replicas in ring order (empty when the keyspace is unknown or the ring empty). */
  replicas(keyspace: string, token: bigint): readonly NodeDoc[] {
    const replication = this.replication(keyspace);
    if (!replication || this.ring.size === 0) return [];
    let byRange = this.replicaDocs.get(replication);
    if (byRange === undefined) {
      byRange = new Array<readonly NodeDoc[] | undefined>(this.ring.tokenCount);
      this.replicaDocs.set(replication, byRange);
    }
    const index = this.ring.firstIndexAtOrAfter(token);
    let docs = byRange[index];
    if (docs === undefined) {
      const placed = replicaMap(this.ring, replication).forRange(index);
      docs = Object.freeze(placed.map((r) => this.byId.get(r.hostId) as NodeDoc));
      byRange[index] = docs;
    }
    return docs;
  }

  /** The contact node's data center stands in for the client's when none is given. */
  dcOf(hostId: string): string | undefined {
    return this.byId.get(hostId)?.dc;
  }
}
