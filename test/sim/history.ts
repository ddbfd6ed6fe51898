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
  /** Writes: the timestamp the coordinator gave it. Reads: the timestamp of the value found. */
  timestamp?: number;
  acks?: HostId[];
  hinted?: HostId[];
  found?: boolean;
  readValue?: string;
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

export type Property = 'a' | 'b' | 'c' | 'd' | 'e';

export const PROPERTY_NAMES: Record<Property, string> = {
  a: 'acknowledged write lost',
  b: 'read missed an acknowledged write',
  c: 'replicas diverge after repair',
  d: 'UNAVAILABLE write was applied',
  e: 'node failure or no convergence',
};

export interface Violation {
  property: Property;
  key?: string;
  message: string;
}
