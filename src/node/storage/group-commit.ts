import { withResolvers, type WithResolvers } from '../../protocol/with-resolvers.js';
import type { StoreWrite } from '../world.js';

/** What a storage has done since it opened; tests and `status` read it. */
export interface StorageStats {
  /** Synced batches written: with group commit, far fewer than `writes` under load. */
  syncs: number;
  /** Calls to write() acknowledged. */
  writes: number;
  /** Puts and deletes acknowledged. */
  ops: number;
  /** The most caller batches one sync has carried. */
  largestGroup: number;
}

/** The writes waiting for one sync; all their callers wait on its one promise. */
interface Group extends WithResolvers<void> {
  ops: StoreWrite[];
  /** Calls to write() in the group. */
  writes: number;
}

/**
 * Group commit: a write joins a queue; when no sync is under way, everything queued goes out as
 * one synced batch, and writes arriving meanwhile wait together for the next one. Each caller
 * hears back once the batch holding its writes is durable. fsync costs about the same for one
 * write as for a thousand, so throughput grows with concurrency instead of dying on fsync.
 *
 * The group is written as one atomic batch, in arrival order, so each caller's batch is atomic and
 * a later write of a key wins over an earlier one. Its callers share one promise: a write under
 * load costs a push, not a promise and its resolvers of its own.
 */
export class GroupCommit {
  readonly stats: StorageStats = { syncs: 0, writes: 0, ops: 0, largestGroup: 0 };
  /** The group filling while a sync runs (or before the first starts); undefined: none yet. */
  private queued: Group | undefined;
  private syncing = false;
  private starting = false;
  private idle: (() => void)[] = [];

  /**
   * `syncBatch` must resolve only once the ops are durable, and apply them all or none. With
   * `startLater` (atEndOfTurn), an idle commit starts at the end of the event-loop turn rather
   * than at the first write, so the other writes the turn brings (the rest of a frame of replica
   * writes, requests from other sockets) share its sync instead of waiting for the next one.
   */
  constructor(
    private readonly syncBatch: (ops: StoreWrite[]) => Promise<void>,
    private readonly startLater?: (start: () => void) => void,
  ) {}

  write(batch: readonly StoreWrite[]): Promise<void> {
    for (const op of batch) {
      // Checked here, not at sync: one caller's bad write must not fail everyone in its group.
      if (!(op.key instanceof Uint8Array) || (op.value !== null && !(op.value instanceof Uint8Array))) {
        return Promise.reject(new TypeError('storage keys and values are Uint8Array (value null deletes)'));
      }
    }
    if (batch.length === 0) return Promise.resolve();
    const group = (this.queued ??= { ops: [], writes: 0, ...withResolvers<void>() });
    for (const op of batch) group.ops.push(op);
    group.writes++;
    if (!this.syncing && !this.starting) {
      if (this.startLater === undefined) {
        this.startSync();
      } else {
        this.starting = true;
        this.startLater(() => {
          this.starting = false;
          if (!this.syncing && this.queued !== undefined) this.startSync();
        });
      }
    }
    return group.promise;
  }

  /** Resolves once every write queued so far has been synced (or has failed). */
  drained(): Promise<void> {
    if (!this.syncing && !this.starting && this.queued === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private startSync(): void {
    const group = this.queued;
    if (group === undefined) return;
    this.queued = undefined;
    this.syncing = true;
    this.stats.syncs++;
    this.stats.largestGroup = Math.max(this.stats.largestGroup, group.writes);
    this.syncBatch(group.ops).then(
      () => {
        this.stats.writes += group.writes;
        this.stats.ops += group.ops.length;
        this.finish();
        group.resolve();
      },
      (e: unknown) => {
        this.finish();
        group.reject(e);
      },
    );
  }

  private finish(): void {
    this.syncing = false;
    if (this.queued !== undefined) {
      this.startSync();
    } else {
      const idle = this.idle;
      this.idle = [];
      for (const f of idle) f();
    }
  }
}
