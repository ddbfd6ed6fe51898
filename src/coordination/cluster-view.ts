import type { Replication } from '../protocol/consistency.js';
import type { TokenRing, RingNode } from '../ring/ring.js';
import type { HostId } from './world.js';

/**
 * What the coordinator needs to know about the cluster. Membership (gossip and the failure
 * detector) keeps it current; the coordinator only reads it, so swapping how membership works
 * never touches the data path.
 */
export interface ClusterView {
  readonly selfId: HostId;
  readonly localDc: string;
  /** The ring of nodes that own data: NORMAL and LEAVING. */
  ring(): TokenRing;
  replication(keyspace: string): Replication | undefined;
  isAlive(hostId: HostId): boolean;
  /**
   * Nodes that are joining (or taking over from a leaving node) and will own this token, besides
   * its replicas in ring().
   */
  pendingReplicas(replication: Replication, token: bigint): readonly RingNode[];
}
