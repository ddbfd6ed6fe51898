import type { Cell } from '../../protocol/cell.js';
import type { Storage, StoreRange } from '../world.js';
import { decodeCell, encodeCell } from './cell-codec.js';
import { ABSENT, cellOf, RowCache, supersedes, type LatestCell } from './row-cache.js';
import {
  cellKey,
  cellRangeBounds,
  cellTokenBounds,
  decodeCellKeyIn,
  keyspaceBounds,
  keyspacePrefix,
  splitWrapping,
} from './keys.js';

export interface MergeResult {
  /** The cell won against what the replica held and is now stored. */
  applied: boolean;
}

const APPLIED: MergeResult = Object.freeze({ applied: true });
const SUPERSEDED: MergeResult = Object.freeze({ applied: false });

/** What the row cache holds and how often it spared a storage read, since the node started. */
export interface RowCacheStats {
  rows: number;
  /** Charged for the rows held, overhead included. */
  bytes: number;
  capacityBytes: number;
  /** Reads and write decisions answered from the cache. */
  hits: number;
  /** Storage reads made because the key was not cached. */
  misses: number;
}

export interface ScannedCell {
  token: bigint;
  /** A view into the stored key. */
  key: Uint8Array;
  cell: Cell;
}

/** Continue a paged scan after the last cell returned, which was at (atToken, afterKey). */
export interface ScanResume {
  atToken: bigint;
  afterKey: Uint8Array;
}

/**
 * The winner for one key as far as this node has decided, while a decision or a write of the key is
 * in flight. Storage alone cannot tell: a batch is not visible until its sync completes.
 */
interface KeyState {
  /** Whether `latest` has been read from storage or set by a decision; false means ask storage. */
  known: boolean;
  /** Decided by a merge, read from storage, or as the row cache holds it (bytes not copied). */
  latest: LatestCell | undefined;
  /** Settles once `latest` is durable; rejects when its write failed. */
  latestDurable: Promise<void>;
  /** Decisions on one key run one at a time; decisions on different keys run side by side. */
  chain: Promise<unknown>;
  /** Decisions queued on `chain` and not finished: with none, one can be made at once. */
  deciding: number;
  users: number;
}

interface MergeDecision {
  applied: boolean;
  durable: Promise<void>;
}

/** The latest cell of a key is not known without reading storage. */
const UNKNOWN = Symbol('unknown');

const settled = Promise.resolve();
/** Keys dropped per round: bounds the memory a purge or cleanup of a large keyspace holds. */
const DROP_BATCH_KEYS = 512;

function keyId(storeKey: Uint8Array): string {
  return Buffer.from(storeKey.buffer, storeKey.byteOffset, storeKey.byteLength).toString('latin1');
}

/** A tombstone, or a value past its TTL (which reads as a tombstone written at its expiry). */
function purgeable(cell: Cell, olderThanMicros: number): boolean {
  if (cell.value === null) return cell.timestamp < olderThanMicros;
  return cell.expiresAt !== undefined && cell.expiresAt < olderThanMicros;
}

/**
 * Last-write-wins cells over a Storage. A merge answers only once the winning cell is durable, and
 * merges of the same key are decided one at a time against the latest winner, including one still
 * waiting for its sync, so that no interleaving loses it. Merges of different keys never wait for
 * each other and share group commits.
 */
export class CellStore {
  private readonly inFlight = new Map<string, KeyState>();
  /**
   * Only what storage durably holds goes in, so reads from it see what a storage read would;
   * merges of a cached key decide without reading storage first.
   */
  private readonly rows: RowCache;
  private cacheHits = 0;
  private cacheMisses = 0;

  /** rowCacheBytes: what the row cache may hold; undefined, RowCache's default. */
  constructor(
    private readonly storage: Storage,
    rowCacheBytes?: number,
  ) {
    this.rows = new RowCache(rowCacheBytes);
  }

  get rowCacheStats(): RowCacheStats {
    return {
      rows: this.rows.size,
      bytes: this.rows.bytes,
      capacityBytes: this.rows.capacity,
      hits: this.cacheHits,
      misses: this.cacheMisses,
    };
  }

  merge(keyspace: string, token: bigint, key: Uint8Array, cell: Cell): Promise<MergeResult> {
    const storeKey = cellKey(keyspace, token, key);
    const id = keyId(storeKey);
    const state = this.enter(id);
    // The common case decides at once: nothing else is deciding this key and its latest cell
    // is cached or in flight. Otherwise the decision queues behind the others and may read.
    // Plain promise callbacks rather than an async function: this runs for every replica write.
    const latest = state.deciding === 0 ? this.knownLatest(state, id) : UNKNOWN;
    if (latest !== UNKNOWN) {
      let decision: MergeDecision;
      try {
        decision = this.mergeDecision(state, storeKey, cell, latest);
      } catch (e) {
        this.leave(id, state);
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      return this.answer(id, state, cell, decision);
    }
    return this.decide(state, async () =>
      this.mergeDecision(state, storeKey, cell, await this.load(state, storeKey)),
    ).then(
      (decision) => this.answer(id, state, cell, decision),
      (e: unknown) => {
        this.leave(id, state);
        throw e;
      },
    );
  }

  private mergeDecision(
    state: KeyState,
    storeKey: Uint8Array,
    cell: Cell,
    latest: LatestCell | undefined,
  ): MergeDecision {
    if (latest !== undefined && !supersedes(cell, latest)) {
      // The stored winner may itself still be syncing: answer only once it is durable, or a
      // crash could lose both it and the write we acknowledged as superseded.
      return { applied: false, durable: state.latestDurable };
    }
    const durable = this.storage.write([{ key: storeKey, value: encodeCell(cell) }]);
    this.setLatest(state, cell, durable);
    return { applied: true, durable };
  }

  /** Answers a merge once its decision is durable, then lets go of the key. */
  private answer(id: string, state: KeyState, cell: Cell, decision: MergeDecision): Promise<MergeResult> {
    const { applied, durable } = decision;
    return durable.then(
      () => {
        if (applied) this.rows.offer(id, cell);
        this.leave(id, state);
        return applied ? APPLIED : SUPERSEDED;
      },
      (e: unknown) => {
        if (applied) this.writeFailed(id, state, durable);
        this.leave(id, state);
        throw e;
      },
    );
  }

  /** The durable cell of a key: a merge still syncing is not visible until it is acknowledged. */
  async get(keyspace: string, token: bigint, key: Uint8Array): Promise<Cell | undefined> {
    const storeKey = cellKey(keyspace, token, key);
    const cached = this.rows.get(keyId(storeKey));
    if (cached !== undefined) {
      this.cacheHits++;
      return cached ?? undefined;
    }
    this.cacheMisses++;
    // Not cached from here: a read racing a merge could put back a row older than the merge's.
    const raw = await this.storage.get(storeKey);
    return raw === undefined ? undefined : decodeCell(raw);
  }

  /**
   * The cells with token in (start, end], in ring order from start; start >= end wraps and (x, x]
   * is the whole ring. With `resume` (atToken must equal start), the cells at that token after
   * `afterKey` come first, so that a paged scan continues where its last page stopped.
   */
  async *scanRange(
    keyspace: string,
    start: bigint,
    end: bigint,
    resume?: ScanResume,
  ): AsyncIterable<ScannedCell> {
    const prefixLength = keyspacePrefix(keyspace).length;
    if (resume !== undefined) {
      if (resume.atToken !== start)
        throw new Error(`resume token ${resume.atToken} is not the range start ${start}`);
      yield* this.cellsIn(prefixLength, cellTokenBounds(keyspace, start, resume.afterKey));
      // Resuming at the end token: only the rest of that token remains, not the whole ring again.
      if (start === end) return;
    }
    for (const [s, e] of splitWrapping(start, end))
      yield* this.cellsIn(prefixLength, cellRangeBounds(keyspace, s, e));
  }

  private async *cellsIn(prefixLength: number, range: StoreRange): AsyncIterable<ScannedCell> {
    for await (const [k, v] of this.storage.iterate(range)) {
      const { token, key } = decodeCellKeyIn(prefixLength, k);
      yield { token, key, cell: decodeCell(v) };
    }
  }

  /**
   * Drops tombstones written before `olderThanMicros` (now minus gc_grace) and values that expired
   * before it. Returns how many cells were dropped.
   */
  purgeTombstones(keyspace: string, olderThanMicros: number): Promise<number> {
    return this.dropCells(keyspace, (_token, cell) => purgeable(cell, olderThanMicros));
  }

  /**
   * Drops the cells of a keyspace for which `drop` says so. Each key is asked again under its own
   * lock with its latest cell, so a newer write racing the drop is judged by what it wrote.
   * Returns how many cells were dropped.
   */
  async dropCells(keyspace: string, drop: (token: bigint, cell: Cell) => boolean): Promise<number> {
    const prefixLength = keyspacePrefix(keyspace).length;
    let dropped = 0;
    let candidates: { storeKey: Uint8Array; token: bigint }[] = [];
    const flush = async (): Promise<void> => {
      const results = await Promise.all(candidates.map((c) => this.dropOne(c.storeKey, c.token, drop)));
      dropped += results.filter(Boolean).length;
      candidates = [];
    };
    for await (const [k, v] of this.storage.iterate(keyspaceBounds(keyspace))) {
      const { token } = decodeCellKeyIn(prefixLength, k);
      if (!drop(token, decodeCell(v))) continue;
      candidates.push({ storeKey: k, token });
      if (candidates.length >= DROP_BATCH_KEYS) await flush();
    }
    await flush();
    return dropped;
  }

  /** Gives back the space of what was dropped from a keyspace. */
  compact(keyspace: string): Promise<void> {
    return this.storage.compact(keyspaceBounds(keyspace));
  }

  private async dropOne(
    storeKey: Uint8Array,
    token: bigint,
    drop: (token: bigint, cell: Cell) => boolean,
  ): Promise<boolean> {
    const id = keyId(storeKey);
    const state = this.enter(id);
    try {
      // The write travels inside an object: returned bare, it would hold the key's lock until synced.
      const decision = await this.decide(state, async () => {
        const latest = await this.load(state, storeKey);
        if (latest === undefined || !drop(token, cellOf(latest))) return undefined;
        const durable = this.storage.write([{ key: storeKey, value: null }]);
        this.setLatest(state, undefined, durable);
        return { durable };
      });
      if (decision === undefined) return false;
      try {
        await decision.durable;
      } catch (e) {
        this.writeFailed(id, state, decision.durable);
        throw e;
      }
      this.rows.delete(id);
      return true;
    } finally {
      this.leave(id, state);
    }
  }

  private enter(id: string): KeyState {
    let state = this.inFlight.get(id);
    if (state === undefined) {
      state = {
        known: false,
        latest: undefined,
        latestDurable: settled,
        chain: settled,
        deciding: 0,
        users: 0,
      };
      this.inFlight.set(id, state);
    }
    state.users++;
    return state;
  }

  /** Forgets the key once nothing about it is in flight: storage then holds its winner. */
  private leave(id: string, state: KeyState): void {
    state.users--;
    if (state.users === 0 && this.inFlight.get(id) === state) this.inFlight.delete(id);
  }

  private decide<T>(state: KeyState, step: () => Promise<T>): Promise<T> {
    state.deciding++;
    const run = state.chain.then(step);
    state.chain = run.then(
      () => state.deciding--,
      () => state.deciding--,
    );
    return run;
  }

  /**
   * The key's latest cell when known without reading storage: decided by an earlier merge, or
   * cached. Called only where nothing else decides the key, so the cache is the winner.
   */
  private knownLatest(state: KeyState, id: string): LatestCell | undefined | typeof UNKNOWN {
    if (state.known) return state.latest;
    const cached = this.rows.peek(id);
    if (cached === undefined) return UNKNOWN;
    this.cacheHits++;
    state.latest = cached ?? undefined;
    state.latestDurable = settled;
    state.known = true;
    return state.latest;
  }

  private async load(state: KeyState, storeKey: Uint8Array): Promise<LatestCell | undefined> {
    const id = keyId(storeKey);
    if (this.knownLatest(state, id) === UNKNOWN) {
      // Under the key's decision chain nothing else writes the key, so storage is the winner,
      // and what is read may be cached.
      this.cacheMisses++;
      const raw = await this.storage.get(storeKey);
      state.latest = raw === undefined ? undefined : decodeCell(raw);
      this.rows.set(id, state.latest ?? ABSENT);
      state.latestDurable = settled;
      state.known = true;
    }
    return state.latest;
  }

  /**
   * The key's winner is now `cell` (undefined: purged), durable once `durable` settles. The caller
   * updates the cache when it does, or calls writeFailed when it does not.
   */
  private setLatest(state: KeyState, cell: Cell | undefined, durable: Promise<void>): void {
    state.latest = cell;
    state.latestDurable = durable;
    state.known = true;
  }

  /** A failed write leaves storage as the only truth: the next decision reads it again. */
  private writeFailed(id: string, state: KeyState, durable: Promise<void>): void {
    this.rows.delete(id);
    if (state.latestDurable === durable) state.known = false;
  }
}
