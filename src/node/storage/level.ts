import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { RingkvError } from '../../protocol/errors.js';
import { atEndOfTurn } from '../../protocol/turn.js';
import { makeFolder } from '../data-folder.js';
import type { Storage, StoreRange, StoreWrite } from '../world.js';
import { GroupCommit, type StorageStats } from './group-commit.js';

type Db = ClassicLevel<Uint8Array, Uint8Array>;

interface PendingReads {
  keys: Uint8Array[];
  /** The values of `keys`, in their order. */
  values: Promise<(Uint8Array | undefined)[]>;
}

const WRITE_BUFFER_BYTES = 32 * 1024 * 1024;

/**
 * classic-level hands out Buffers; a plain view over the same memory (no copy) makes both storages
 * return the same type, so results compare equal whichever storage produced them.
 */
function plain(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** LevelDB says "IO error: <file>: No space left on device" when a write finds the disk full. */
function isDiskFull(e: unknown): boolean {
  return /no space left on device/i.test(reason(e));
}

function reason(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : e.message;
  }
  return String(e);
}

/** The files LevelDB keeps in its folder: tables, write-ahead logs, manifests, its own info log. */
const LEVELDB_FILE = /^(\d+\.(log|ldb|sst|dbtmp)|MANIFEST-\d+|CURRENT|LOCK|LOG(\.old)?)$/;

/**
 * The node's durable store: LevelDB through classic-level, byte keys and values. Every write is
 * acknowledged only after a `sync: true` batch holding it has returned, and concurrent writes
 * share one such batch (group commit), so a node killed with SIGKILL loses no acknowledged write.
 */
export class LevelStorage implements Storage {
  private readonly commit: GroupCommit;
  private closing: Promise<void> | undefined;
  /** Set by the first failed write; every later write fails with it (see `fence`). */
  private fenced: RingkvError | undefined;
  /** The reads of this turn, not yet sent (see `get`). */
  private reads: PendingReads | undefined;

  private constructor(
    private readonly db: Db,
    readonly dir: string,
    private readonly onFenced: (error: RingkvError) => void,
  ) {
    this.commit = new GroupCommit((ops) => {
      // A chained batch, not db.batch(array): abstract-level copies and re-validates every
      // operation of an array batch, which cost about 16 µs per write against 4 µs this way.
      const batch = this.db.batch();
      for (const op of ops) {
        if (op.value === null) batch.del(op.key);
        else batch.put(op.key, op.value);
      }
      // write() closes the batch whether it succeeds or fails.
      return batch.write({ sync: true }).catch((e: unknown) => {
        throw this.fence(e);
      });
    }, atEndOfTurn);
  }

  /**
   * A write that fails (a full disk, an I/O error) may have left part of a record in LevelDB's
   * log, and LevelDB goes on appending after it: at the next start it drops everything from the
   * torn record on, so writes acknowledged after the failure would be lost to a crash. Measured:
   * fill the disk, free space, 50 more acknowledged writes, SIGKILL: all 50 gone. So the first
   * failure stops every write, and the node stops (see the daemon); the restart's recovery ends
   * the log at the torn record, after which nothing was acknowledged.
   */
  private fence(e: unknown): RingkvError {
    if (this.fenced === undefined) {
      this.fenced = new RingkvError(
        'SERVER_ERROR',
        isDiskFull(e)
          ? `the disk of ${this.dir} is full: the node stops; free space, start it again, then run "ringkv repair"`
          : `writing to ${this.dir} failed (${reason(e)}): the node stops; fix the disk, start it again, then run "ringkv repair"`,
        { dataDir: this.dir },
      );
      this.onFenced(this.fenced);
    }
    return this.fenced;
  }

  /** `onFenced` hears once that a write failed and the storage takes no more (see `fence`). */
  static async open(dir: string, onFenced: (error: RingkvError) => void = () => {}): Promise<LevelStorage> {
    try {
      // Made here rather than by LevelDB, whose own mkdir spins instead of failing on some paths.
      await makeFolder(dir);
      await access(dir, constants.W_OK);
    } catch (e) {
      throw new RingkvError('REFUSED', `data folder ${dir} is not writable: ${reason(e)}`, { dataDir: dir });
    }
    const db: Db = new ClassicLevel<Uint8Array, Uint8Array>(dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      createIfMissing: true,
      // 32 MiB memtable instead of LevelDB's 4 MiB (Riak runs 30-60 MiB): fewer flushes and L0
      // compactions competing with requests for the cores. Costs that much memory, and up to that
      // much log to replay at start (well under a second).
      writeBufferSize: WRITE_BUFFER_BYTES,
    });
    try {
      await db.open();
    } catch (e) {
      const code = (e as { cause?: { code?: unknown } }).cause?.code;
      if (code === 'LEVEL_LOCKED') {
        throw new RingkvError(
          'REFUSED',
          `data folder ${dir} is in use by another ringkv node: stop that node, or give this one its own --data`,
          { dataDir: dir },
        );
      }
      throw new RingkvError(
        'SERVER_ERROR',
        isDiskFull(e)
          ? `cannot open data folder ${dir}: its disk is full; free space, then start the node again`
          : `cannot open data folder ${dir}: ${reason(e)}`,
        { dataDir: dir },
      );
    }
    return new LevelStorage(db, dir, onFenced);
  }

  get stats(): StorageStats {
    return this.commit.stats;
  }

  /**
   * Reads asked for in one turn go to LevelDB together at its end, in one `getMany`: one trip to
   * the thread pool for all of them rather than one each. A replica writing a batch of keys it has
   * not cached (a bootstrap's stream, a repair, a cold write load) reads each before writing it.
   * The key's bytes are read at the end of the turn: do not change them before.
   */
  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const reads = (this.reads ??= this.startReads());
    reads.keys.push(key);
    const index = reads.keys.length - 1;
    return reads.values.then((values) => {
      const value = values[index];
      return value === undefined ? undefined : plain(value);
    });
  }

  private startReads(): PendingReads {
    const keys: Uint8Array[] = [];
    const values = new Promise<(Uint8Array | undefined)[]>((resolve, reject) => {
      atEndOfTurn(() => {
        this.reads = undefined;
        this.db.getMany(keys).then(resolve, reject);
      });
    });
    return { keys, values };
  }

  /** The storage reads the bytes of the batch until the returned promise settles: do not reuse them before. */
  write(batch: readonly StoreWrite[]): Promise<void> {
    if (this.closing) return Promise.reject(new Error(`storage ${this.dir} is closed`));
    if (this.fenced) return Promise.reject(this.fenced);
    return this.commit.write(batch);
  }

  async *iterate(range: StoreRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    const options: { gt?: Uint8Array; gte?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array; limit: number } = {
      limit: range.limit ?? -1,
    };
    if (range.gt !== undefined) options.gt = range.gt;
    if (range.gte !== undefined) options.gte = range.gte;
    if (range.lt !== undefined) options.lt = range.lt;
    if (range.lte !== undefined) options.lte = range.lte;
    // The iterator reads from an implicit snapshot; for-await closes it on break or throw.
    for await (const [k, v] of this.db.iterator(options)) yield [plain(k), plain(v)];
  }

  /**
   * Bytes of the database's files in the data folder: the log and the tables, which is what the
   * operator pays for. Not other files there, such as the node's own log (node.log), which says
   * nothing about the data and grows with every line logged.
   */
  async approximateSize(): Promise<number> {
    let total = 0;
    for (const name of await readdir(this.dir)) {
      if (!LEVELDB_FILE.test(name)) continue;
      try {
        const s = await stat(join(this.dir, name));
        if (s.isFile()) total += s.size;
      } catch {
        // Compaction removed the file between readdir and stat.
      }
    }
    return total;
  }

  compact(range: { gte: Uint8Array; lt: Uint8Array }): Promise<void> {
    return this.db.compactRange(range.gte, range.lt);
  }

  /** Waits for every write already accepted to be synced and every read asked for, then closes the database. */
  close(): Promise<void> {
    const reads = this.reads?.values.catch(() => undefined);
    this.closing ??= Promise.all([this.commit.drained(), reads]).then(() => this.db.close());
    return this.closing;
  }
}
