import type { Replication } from '../protocol/consistency.js';
import type { TokenRing, RingNode } from '../ring/ring.js';
import type { HostId } from './world.js';

export type NodeStatusName = 'JOINING' | 'NORMAL' | 'LEAVING' | 'LEFT';

export interface NodeEntry extends RingNode {
  address: string;
  status: NodeStatusName;
  load: number;
  /** While JOINING or LEAVING: the share of its ranges already streamed (0..1). */
  streamProgress?: number | undefined;
  /** The node's wall clock minus ours, in ms, when last heard; undefined for ourselves or unknown. */
  clockOffsetMs?: number;
}

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
  keyspaces(): ReadonlyMap<string, Replication>;
  isAlive(hostId: HostId): boolean;
  node(hostId: HostId): NodeEntry | undefined;
  nodes(): readonly NodeEntry[];
  /** Nodes that are joining (or taking over from a leaving node) and will own this token. */
  pendingReplicas(keyspace: string, token: bigint): readonly RingNode[];
}
