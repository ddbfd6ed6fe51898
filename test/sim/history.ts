import type { Cell } from '../../src/protocol/cell.js';
import type { ConsistencyLevel } from '../../src/protocol/consistency.js';
import type { HostId } from '../../src/node/world.js';

/** One client operation as the client saw it: what it asked, of whom, when, and what it heard. */
export interface Op {
  id: number;
  client: number;
  kind: 'put' | 'del' | 'get';
  key: string;
  cl: ConsistencyLevel;
  /** The coordinator the client sent it to. */
  node: HostId;
  /** Puts: the value written; every put writes a value no other put writes. */
  value?: string;
  start: number;
  end?: number;
  /** timeout: the client gave up waiting (e.g. its coordinator died); the write may or may not be applied. */
  outcome: 'pending' | 'ok' | 'error' | 'timeout';
  code?: string;
  message?: string;
  /**
   * Writes: the timestamp the coordinator gave it, or the one the client supplied (then known even
   * when the write failed). Reads: the timestamp of the value found.
   */
  timestamp?: number;
  /** The client supplied `timestamp` itself. */
  clientTimestamp?: boolean;
  /** Puts with a TTL: seconds, and the expiry the cell carries once the timestamp is known. */
  ttl?: number;
  expiresAt?: number;
  /** The key's natural replicas in the coordinator's view of the ring when the op started. */
  replicas?: HostId[];
  /** Nodes whose place in the ring the coordinator saw differently from what they said of themselves. */
  lagging?: HostId[];
  /** The coordinator's wall clock (µs) when the op started and ended, and whether it was stepped meanwhile. */
  wallStart?: number;
  wallEnd?: number;
  clockStepped?: boolean;
  acks?: HostId[];
  hinted?: HostId[];
  found?: boolean;
  readValue?: string;
  /** Reads: the replicas whose answers the coordinator reconciled (for reports, not checked). */
  answeredBy?: HostId[];
}

/**
 * What one completed membership change did to one key. `from`: replicas that gave the key up (the
 * joiner's predecessor, the leaving node, the removed node); `to`: replicas that took it over.
 * `start`: when the change began (the node was started or the command issued); `end`: when the
 * ring of its end was in force (the joiner or leaver said NORMAL or LEFT; the removal was done).
 */
export interface KeyMove {
  key: string;
  kind: 'join' | 'decommission' | 'removenode';
  hostId: HostId;
  start: number;
  end: number;
  from: HostId[];
  to: HostId[];
}

/** A line of what happened in the cluster (faults, restarts, phases), by virtual time. */
export interface JournalEntry {
  at: number;
  text: string;
}

/** A replica's stored cell for a key after healing and repair. */
export interface ReplicaCell {
  hostId: HostId;
  cell: Cell | undefined;
}

export type Property = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';

export const PROPERTY_NAMES: Record<Property, string> = {
  a: 'acknowledged write lost',
  b: 'read missed an acknowledged write',
  c: 'replicas diverge after repair',
  d: 'UNAVAILABLE write was applied',
  e: 'node failure or no convergence',
  f: 'purge past gc_grace dropped a live cell or kept a dead one',
};

export interface Violation {
  property: Property;
  key?: string;
  message: string;
}
