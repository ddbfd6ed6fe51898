import type { RequestMessage, ResponseMessage, EventMessage } from '../protocol/messages.js';

/**
 * The node's core reaches the world only through these interfaces (DESIGN.md). Production wires
 * them to ws, the system clock and classic-level; the simulation wires an in-memory network that
 * a seeded generator makes faulty, a virtual clock and an in-memory storage.
 */

import type { Clock, HostId, Logger, Random, Timer } from '../coordination/world.js';
import type { StorageStats } from './storage/group-commit.js';

export type { Clock, HostId, Logger, Random, Timer };

export type PeerMessage = RequestMessage | ResponseMessage | EventMessage;

export interface Transport {
  /** Fire and forget: the message may be lost, delayed or duplicated; the caller times out. */
  send(to: HostId, message: PeerMessage): void;
  /** Called for every validated message from an authenticated peer. */
  onMessage(handler: (from: HostId, message: PeerMessage) => void): void;
  /**
   * Called when messages to a peer are known to be lost: its connection closed, it could not be
   * dialed, or a send was dropped while dialing it backs off. Requests in flight to it will get
   * no answer, so waiting out their timeout only delays what the caller does next.
   */
  onPeerDisconnected(handler: (hostId: HostId, reason: string) => void): void;
}

export interface StoreRange {
  gt?: Uint8Array;
  gte?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  limit?: number;
}

export interface StoreWrite {
  key: Uint8Array;
  /** null deletes the key. */
  value: Uint8Array | null;
}

/**
 * An ordered byte-keyed store. `write` resolves only once the batch is durable (fsynced):
 * a crash after it resolves loses nothing of it. Writes issued while a sync is under way are
 * group-committed into the next synced batch.
 */
export interface Storage {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  write(batch: readonly StoreWrite[]): Promise<void>;
  iterate(range: StoreRange): AsyncIterable<[Uint8Array, Uint8Array]>;
  /** Bytes on disk, approximately. */
  approximateSize(): Promise<number>;
  /** Rewrites the range so that what was deleted there stops taking space. */
  compact(range: { gte: Uint8Array; lt: Uint8Array }): Promise<void>;
  close(): Promise<void>;
  /** Synced batches and the writes they carried since the storage opened. */
  readonly stats: StorageStats;
}

export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
};
