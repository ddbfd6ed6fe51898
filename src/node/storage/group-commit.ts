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

interface Waiter {
  ops: readonly StoreWrite[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: a write joins a queue; when no sync is under way, everything queued goes out as
 * one synced batch, and writes arriving meanwhile wait together for the next one. Each caller
 * hears back once the batch holding its writes is durable. fsync costs about the same for one
 * write as for a thousand, so throughput grows with concurrency instead of dying on fsync.
 *
 * The group is written as one atomic batch, in arrival order, so each caller's batch is atomic and
 * a later write of a key wins over an earlier one.
 */
export class GroupCommit {
  readonly stats: StorageStats = { syncs: 0, writes: 0, ops: 0, largestGroup: 0 };
  private queue: Waiter[] = [];
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
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops: batch, resolve, reject });
      if (this.syncing || this.starting) return;
      if (this.startLater === undefined) {
        this.startSync();
        return;
      }
      this.starting = true;
      this.startLater(() => {
        this.starting = false;
        if (!this.syncing && this.queue.length > 0) this.startSync();
      });
    });
  }

  /** Resolves once every write queued so far has been synced (or has failed). */
  drained(): Promise<void> {
    if (!this.syncing && !this.starting && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private startSync(): void {
    const group = this.queue;
    this.queue = [];
    this.syncing = true;
    const ops: StoreWrite[] = [];
    for (const w of group) for (const op of w.ops) ops.push(op);
    this.stats.syncs++;
    this.stats.largestGroup = Math.max(this.stats.largestGroup, group.length);
    this.syncBatch(ops).then(
      () => {
        this.stats.writes += group.length;
        this.stats.ops += ops.length;
        this.finish();
        for (const w of group) w.resolve();
      },
      (e: unknown) => {
        this.finish();
        for (const w of group) w.reject(e);
      },
    );
  }

  private finish(): void {
    this.syncing = false;
    if (this.queue.length > 0) {
      this.startSync();
    } else {
      const idle = this.idle;
      this.idle = [];
      for (const f of idle) f();
    }
  }
}
