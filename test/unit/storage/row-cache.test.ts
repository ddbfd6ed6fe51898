import { describe, expect, it } from 'vitest';
import { manualSyncs } from './manual-syncs.js';
import type { Cell } from '../../../src/protocol/cell.js';
import { CellStore } from '../../../src/node/storage/cell-store.js';
import { MemoryStorage } from '../../../src/node/storage/memory.js';

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
    expect(await merged(s, store, live('b', 2))).toEqual({ applied: true, previous: live('a', 1) });
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
    expect(await merged(s, store, live('c', 3))).toEqual({ applied: true, previous: live('a', 1) });
    expect(s.reads()).toBe(readsBefore + 1);
  });

  it('keeps at most the rows it is given, and stays correct for the ones it dropped', async () => {
    const s = countedStorage();
    const store = new CellStore(s.storage, 2);
    for (const [i, key] of ['x', 'y', 'z'].entries()) {
      const p = store.merge('ks', 1n, text(key), live(key, i + 1));
      await s.completeSyncs();
      await p;
    }
    const readsBefore = s.reads();
    expect(await store.get('ks', 1n, text('x'))).toEqual(live('x', 1));
    expect(s.reads()).toBe(readsBefore + 1);
    expect(await store.get('ks', 1n, text('z'))).toEqual(live('z', 3));
    expect(s.reads()).toBe(readsBefore + 1);
  });
});
