import { describe, expect, it } from 'vitest';
import { manualSyncs } from './manual-syncs.js';
import type { Cell } from '../../../src/protocol/cell.js';
import { CellStore } from '../../../src/node/storage/cell-store.js';
import { MemoryStorage } from '../../../src/node/storage/memory.js';
import { ABSENT, RowCache, rowCacheProblem } from '../../../src/node/storage/row-cache.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const live = (value: string, timestamp: number): Cell => ({ value: text(value), timestamp });

/** A MemoryStorage that counts reads, and whose syncs complete when the test says so. */
function countedStorage(): {
  storage: MemoryStorage;
  reads: () => number;
  completeSyncs: () => Promise<void>;
} {
  const syncs = manualSyncs();
  const storage = new MemoryStorage({ syncDelay: syncs.syncDelay });
  let reads = 0;
  const get = storage.get.bind(storage);
  storage.get = (key) => {
    reads++;
    return get(key);
  };
  return {
    storage,
    reads: () => reads,
    completeSyncs: syncs.completeSyncs,
  };
}

async function merged(
  s: ReturnType<typeof countedStorage>,
  store: CellStore,
  cell: Cell,
): Promise<Awaited<ReturnType<CellStore['merge']>>> {
  const p = store.merge('ks', 1n, text('k'), cell);
  // A failed sync rejects p while the syncs complete; the caller sees it when it awaits.
  p.catch(() => undefined);
  await s.completeSyncs();
  return p;
}

describe('CellStore row cache', () => {
  it('decides a write to a key it has seen without reading storage first', async () => {
    const s = countedStorage();
    const store = new CellStore(s.storage);
    await merged(s, store, live('a', 1));
    const readsAfterFirst = s.reads();
    expect(await merged(s, store, live('b', 2))).toEqual({ applied: true });
    expect(await merged(s, store, live('old', 1))).toMatchObject({ applied: false });
    expect(s.reads()).toBe(readsAfterFirst);
    expect(await store.get('ks', 1n, text('k'))).toEqual(live('b', 2));
  });

  it('answers reads from durable cells only: a write still syncing stays invisible', async () => {
    const s = countedStorage();
    const store = new CellStore(s.storage);
    await merged(s, store, live('a', 1));
    const pending = store.merge('ks', 1n, text('k'), live('b', 2));
    await new Promise((r) => setImmediate(r));
    expect(await store.get('ks', 1n, text('k'))).toEqual(live('a', 1));
    await s.completeSyncs();
    await pending;
    expect(await store.get('ks', 1n, text('k'))).toEqual(live('b', 2));
  });

  it('goes back to storage after a failed sync', async () => {
    const s = countedStorage();
    const store = new CellStore(s.storage);
    await merged(s, store, live('a', 1));
    s.storage.failNextSync(new Error('disk full'));
    await expect(merged(s, store, live('b', 2))).rejects.toThrow('disk full');
    const readsBefore = s.reads();
    expect(await merged(s, store, live('c', 3))).toEqual({ applied: true });
    expect(s.reads()).toBe(readsBefore + 1);
  });

  it('keeps at most the bytes it is given, and stays correct for the rows it dropped', async () => {
    const s = countedStorage();
    // Room for two rows of a 1,000-byte value, not three.
    const store = new CellStore(s.storage, 2_500);
    const big = (key: string, timestamp: number): Cell => ({
      value: new Uint8Array(1000).fill(key.charCodeAt(0)),
      timestamp,
    });
    for (const [i, key] of ['x', 'y', 'z'].entries()) {
      const p = store.merge('ks', 1n, text(key), big(key, i + 1));
      await s.completeSyncs();
      await p;
    }
    const readsBefore = s.reads();
    expect(await store.get('ks', 1n, text('x'))).toEqual(big('x', 1));
    expect(s.reads()).toBe(readsBefore + 1);
    expect(await store.get('ks', 1n, text('z'))).toEqual(big('z', 3));
    expect(s.reads()).toBe(readsBefore + 1);
  });
});

describe('row cache counters', () => {
  it('count a storage read for a key not cached as a miss, and a read or a write decided from the cache as a hit', async () => {
    const s = countedStorage();
    const store = new CellStore(s.storage, 10_000);
    expect(store.rowCacheStats).toEqual({ rows: 0, bytes: 0, capacityBytes: 10_000, hits: 0, misses: 0 });
    await merged(s, store, live('a', 1)); // not cached: storage is read first
    await merged(s, store, live('b', 2)); // decided from the cache
    await store.get('ks', 1n, text('k')); // read from the cache
    await store.get('ks', 1n, text('nothing')); // not cached: storage is read
    const stats = store.rowCacheStats;
    expect({ hits: stats.hits, misses: stats.misses }).toEqual({ hits: 2, misses: 2 });
    expect(stats.misses).toBe(s.reads());
    expect(stats.rows).toBe(1);
    expect(stats.bytes).toBeGreaterThan(0);
  });

  it('with no room, count every lookup a miss, each a storage read', async () => {
    const s = countedStorage();
    const store = new CellStore(s.storage, 0);
    await merged(s, store, live('a', 1));
    await merged(s, store, live('b', 2));
    await store.get('ks', 1n, text('k'));
    expect(store.rowCacheStats).toEqual({ rows: 0, bytes: 0, capacityBytes: 0, hits: 0, misses: 3 });
    expect(s.reads()).toBe(3);
  });
});

describe('the row cache a node may be started with', () => {
  const MiB = 1024 * 1024;
  it('is refused above half of the JavaScript heap, with the most it may be and how to raise the heap', () => {
    expect(rowCacheProblem(64 * MiB, 4144 * MiB)).toBeUndefined();
    expect(rowCacheProblem(2072 * MiB, 4144 * MiB)).toBeUndefined();
    expect(rowCacheProblem(3000 * MiB, 4144 * MiB)).toBe(
      "a row cache of 3000 MiB is more than half of this process's JavaScript heap (4144 MiB): use at most 2072, or raise the heap with NODE_OPTIONS=--max-old-space-size=<MiB>",
    );
  });
});

describe('RowCache', () => {
  const row = (bytes: number, timestamp = 1): Cell => ({ value: new Uint8Array(bytes), timestamp });

  it('evicts the oldest rows until what it holds fits its bytes', () => {
    const cache = new RowCache(3_000);
    cache.set('a', row(1000));
    cache.set('b', row(1000));
    expect(cache.size).toBe(2);
    // A larger row pushes out as many old ones as it needs.
    cache.set('c', row(2000));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')?.value?.byteLength).toBe(2000);
    expect(cache.bytes).toBeLessThanOrEqual(3_000);
  });

  it('does not cache a row larger than all it may hold, and drops the stale one', () => {
    const cache = new RowCache(3_000);
    cache.set('a', row(10, 1));
    cache.set('a', row(5_000, 2));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it('takes an offered cell only when it is newer than the cached one', () => {
    const cache = new RowCache(10_000);
    cache.offer('a', row(10, 5));
    cache.offer('a', row(20, 4));
    expect(cache.get('a')?.timestamp).toBe(5);
    cache.offer('a', row(30, 6));
    expect(cache.get('a')).toEqual(row(30, 6));
    cache.set('b', ABSENT);
    cache.offer('b', row(10, 1));
    expect(cache.get('b')).toEqual(row(10, 1));
    const same = new RowCache(10_000);
    same.set('a', row(30, 6));
    same.set('b', row(10, 1));
    expect(cache.bytes).toBe(same.bytes);
  });

  it('charges a replaced or deleted row once', () => {
    const cache = new RowCache(10_000);
    cache.set('a', row(100, 1));
    const one = cache.bytes;
    cache.set('a', row(100, 2));
    expect(cache.bytes).toBe(one);
    cache.set('b', ABSENT);
    expect(cache.get('b')).toBe(ABSENT);
    cache.delete('a');
    cache.delete('b');
    cache.delete('b');
    expect(cache.bytes).toBe(0);
  });

  it('copies a value that is a view into a larger buffer, so the buffer is not kept alive', () => {
    const cache = new RowCache(10_000);
    const frame = new Uint8Array(64 * 1024).fill(7);
    cache.set('view', { value: frame.subarray(100, 200), timestamp: 5, expiresAt: 9 });
    // The frame's memory is reused for the next read: the cached row must not change with it.
    frame.fill(8);
    const cached = cache.get('view');
    expect(cached?.value?.buffer).not.toBe(frame.buffer);
    expect(cached).toEqual({ value: new Uint8Array(100).fill(7), timestamp: 5, expiresAt: 9 });
  });

  it('gives back every byte value and a tombstone as they were cached', () => {
    const cache = new RowCache(10_000);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    cache.set('bytes', { value: all, timestamp: 1 });
    cache.set('tombstone', { value: null, timestamp: 2 });
    expect(cache.get('bytes')?.value).toEqual(all);
    expect(cache.get('tombstone')).toEqual({ value: null, timestamp: 2 });
    // A caller that changes what it was given does not change the cache.
    cache.get('bytes')?.value?.fill(0);
    expect(cache.get('bytes')?.value).toEqual(all);
  });

  it('breaks a timestamp tie by the cached bytes, as reconciliation does', () => {
    const cache = new RowCache(10_000);
    cache.offer('a', { value: text('b'), timestamp: 5 });
    cache.offer('a', { value: text('a'), timestamp: 5 });
    expect(cache.get('a')).toEqual({ value: text('b'), timestamp: 5 });
    cache.offer('a', { value: text('c'), timestamp: 5 });
    expect(cache.get('a')).toEqual({ value: text('c'), timestamp: 5 });
    cache.offer('a', { value: null, timestamp: 5 });
    expect(cache.get('a')).toEqual({ value: null, timestamp: 5 });
  });
});
