import type { Replication } from '../protocol/consistency.js';
import type { RingNode, RingView } from './ring.js';
import { replicaMap, replicaPlacement } from './strategy.js';
import { TokenRing } from './ring.js';

/**
 * How much of the data each node holds. Primary ownership counts only the ranges a node owns as
 * first replica and sums to 1; effective ownership counts every range it replicates for a
 * keyspace and sums to the number of copies (min(RF, nodes) for `simple`), which is what
 * `ringkv status` shows as `owns`.
 */

export function primaryOwnership(ring: RingView): Map<string, number> {
  const owns = zeroFor(ring);
  for (let i = 0; i < ring.tokenCount; i++) {
    const hostId = ring.ownerAt(i).hostId;
    owns.set(hostId, owns.get(hostId)! + ring.rangeFractionAt(i));
  }
  return owns;
}

export function effectiveOwnership(ring: RingView, replication: Replication): Map<string, number> {
  // A real ring shares the request path's cached placement; a draft ring is placed afresh.
  let place: (i: number) => readonly RingNode[];
  if (ring instanceof TokenRing) {
    const map = replicaMap(ring, replication);
    place = (i) => map.forRange(i);
  } else {
    place = replicaPlacement(ring, replication);
  }
  const owns = zeroFor(ring);
  for (let i = 0; i < ring.tokenCount; i++) {
    const share = ring.rangeFractionAt(i);
    for (const replica of place(i)) owns.set(replica.hostId, owns.get(replica.hostId)! + share);
  }
  return owns;
}

function zeroFor(ring: RingView): Map<string, number> {
  return new Map(ring.nodes().map((n) => [n.hostId, 0]));
}
