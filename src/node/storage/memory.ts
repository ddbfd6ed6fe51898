import type { Storage, StoreRange, StoreWrite } from '../world.js';
import { GroupCommit, type StorageStats } from './group-commit.js';

/** Sorted keys and their values: what a crash leaves behind. Treat as immutable. */
export interface DurableState {
  readonly keys: readonly Uint8Array[];
  readonly values: readonly Uint8Array[];
}

export interface MemoryStorageOptions {
  /**
   * Runs `sync` when the simulated fsync completes. The simulation schedules it on its virtual
   * clock (and so decides which writes a crash catches in flight); by default it runs on a
   * microtask.
   */
  syncDelay?: (sync: () => void) => void;
  /** Start from what an earlier instance had synced (a restart after a crash or a clean stop). */
  initial?: DurableState;
}

/** What a dead process hears back. */
const never = <T>(): Promise<T> => new Promise<T>(() => {});

const compare = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);

/**
 * An ordered in-memory store for tests and the deterministic simulation, with the same group
 * commit as LevelStorage. A batch becomes visible when its sync completes, as in LevelDB, where the
 * write reaches the memtable after the log is synced. Everything visible is durable: `crash()`
 * keeps exactly that and drops whatever was still queued or in flight.
 */
export class MemoryStorage implements Storage {
  private keys: Uint8Array[];
  private values: Uint8Array[];
  private bytes = 0;
  // Iterators walk the arrays they started on; while any is open, a sync replaces the arrays
  // instead of editing them in place, which gives iterators a snapshot as LevelDB does.
  private openIterators = 0;
  private state: 'open' | 'closed' | 'crashed' = 'open';
  private nextSyncFault: Error | undefined = undefined;
  private onSyncFault: (() => void) | undefined = undefined;
  private readonly syncDelay: (sync: () => void) => void;
  private readonly commit: GroupCommit;

  constructor(options: MemoryStorageOptions = {}) {
    this.syncDelay = options.syncDelay ?? ((sync) => queueMicrotask(sync));
    this.keys = options.initial ? [...options.initial.keys] : [];
    this.values = options.initial ? [...options.initial.values] : [];
    if (this.keys.length !== this.values.length) throw new Error('durable state has unequal keys and values');
    for (let i = 0; i < this.keys.length; i++) {
      this.bytes += (this.keys[i] as Uint8Array).length + (this.values[i] as Uint8Array).length;
    }
    this.commit = new GroupCommit((ops) => this.sync(ops));
  }

  get stats(): StorageStats {
    return this.commit.stats;
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.state === 'crashed') return never();
    this.assertOpen();
    const i = this.search(key);
    return Promise.resolve(i >= 0 ? copyOf(this.values[i] as Uint8Array) : undefined);
  }

  write(batch: readonly StoreWrite[]): Promise<void> {
    if (this.state === 'crashed') return never();
    this.assertOpen();
    // Copied now: the caller may reuse its buffers once write() returns, as LevelDB allows.
    const copy = batch.map((op) => ({
      key: op.key instanceof Uint8Array ? copyOf(op.key) : op.key,
      value: op.value instanceof Uint8Array ? copyOf(op.value) : op.value,
    }));
    return this.commit.write(copy);
  }

  iterate(range: StoreRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    if (this.state === 'crashed') return { [Symbol.asyncIterator]: () => ({ next: never }) };
    this.assertOpen();
    const walk = this.walk(range);
    // return() passes through, so breaking out of a for-await closes the walk and its snapshot.
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.resolve(walk.next()),
        return: () => Promise.resolve(walk.return(undefined)),
      }),
    };
  }

  private *walk(range: StoreRange): Generator<[Uint8Array, Uint8Array]> {
    const limit = range.limit === undefined || range.limit < 0 ? Infinity : range.limit;
    if (limit === 0) return;
    const keys = this.keys;
    const values = this.values;
    let i = 0;
    if (range.gt !== undefined) i = this.upperBound(keys, range.gt);
    if (range.gte !== undefined) i = Math.max(i, this.lowerBound(keys, range.gte));
    this.openIterators++;
    try {
      let yielded = 0;
      for (; i < keys.length && yielded < limit; i++) {
        const k = keys[i] as Uint8Array;
        if (range.lt !== undefined && compare(k, range.lt) >= 0) break;
        if (range.lte !== undefined && compare(k, range.lte) > 0) break;
        yielded++;
        yield [copyOf(k), copyOf(values[i] as Uint8Array)];
      }
    } finally {
      this.openIterators--;
    }
  }

  approximateSize(): Promise<number> {
    return Promise.resolve(this.bytes);
  }

  /** Deleted entries take no space here to begin with. */
  compact(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.state !== 'open') return;
    await this.commit.drained();
    this.state = 'closed';
  }

  /**
   * The process dies: writes not yet synced are lost and their promises never settle, and so does
   * anything the dead node's leftover continuations ask of this instance afterwards, so that they
   * stop where they are instead of failing into code that should no longer run. Returns the
   * storage a restarted node finds.
   */
  crash(options: Omit<MemoryStorageOptions, 'initial'> = {}): MemoryStorage {
    this.state = 'crashed';
    return new MemoryStorage({ ...options, initial: this.snapshotDurable() });
  }

  /** Exactly what has been synced, i.e. acknowledged or about to be. */
  snapshotDurable(): DurableState {
    return { keys: [...this.keys], values: [...this.values] };
  }

  /**
   * A disk fault: the next sync fails, and every write in it is rejected and not applied.
   * `onFailure` runs once the rejection is on its way (the simulation stops the node then, as the
   * daemon does when its disk fails). Undefined disarms a fault that has not struck yet.
   */
  failNextSync(error: Error | undefined, onFailure?: () => void): void {
    this.nextSyncFault = error;
    this.onSyncFault = onFailure;
  }

  private sync(ops: StoreWrite[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.syncDelay(() => {
        // A crashed instance is a dead process: its syncs never complete.
        if (this.state === 'crashed') return;
        if (this.nextSyncFault !== undefined) {
          const fault = this.nextSyncFault;
          const then = this.onSyncFault;
          this.nextSyncFault = undefined;
          this.onSyncFault = undefined;
          reject(fault);
          then?.();
          return;
        }
        this.apply(ops);
        resolve();
      });
    });
  }

  private apply(ops: readonly StoreWrite[]): void {
    if (this.openIterators > 0) {
      this.keys = [...this.keys];
      this.values = [...this.values];
    }
    for (const { key, value } of ops) {
      const i = this.search(key);
      if (i >= 0) {
        const old = this.values[i] as Uint8Array;
        if (value === null) {
          this.bytes -= key.length + old.length;
          this.keys.splice(i, 1);
          this.values.splice(i, 1);
        } else {
          this.bytes += value.length - old.length;
          this.values[i] = value;
        }
      } else if (value !== null) {
        const at = -i - 1;
        this.bytes += key.length + value.length;
        this.keys.splice(at, 0, key);
        this.values.splice(at, 0, value);
      }
    }
  }

  /** Index of key, or -(insertion point) - 1 when absent. */
  private search(key: Uint8Array): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compare(this.keys[mid] as Uint8Array, key);
      if (c < 0) lo = mid + 1;
      else if (c > 0) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  /** First index whose key is >= bound. */
  private lowerBound(keys: readonly Uint8Array[], bound: Uint8Array): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(keys[mid] as Uint8Array, bound) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose key is > bound. */
  private upperBound(keys: readonly Uint8Array[], bound: Uint8Array): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(keys[mid] as Uint8Array, bound) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`storage is ${this.state}`);
  }
}

/** A copy, also of a Buffer, whose slice() is a view of the same memory. */
function copyOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
