import { describe, expect, it } from 'vitest';
import { manualSyncs, settledFlag } from './manual-syncs.js';
import type { Cell } from '../../../src/protocol/cell.js';
import { CellStore } from '../../../src/node/storage/cell-store.js';
import { MemoryStorage } from '../../../src/node/storage/memory.js';
import { MAX_TOKEN, MIN_TOKEN } from '../../../src/node/storage/keys.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);
const live = (value: string, timestamp: number): Cell => ({ value: text(value), timestamp });
const tombstone = (timestamp: number): Cell => ({ value: null, timestamp });

async function scan(store: CellStore, start: bigint, end: bigint, ks = 'ks'): Promise<string[]> {
  const out: string[] = [];
  for await (const c of store.scanRange(ks, start, end)) out.push(`${c.token}:${str(c.key)}`);
  return out;
}

describe('CellStore merge', () => {
  it('stores a first write and keeps the later of two', async () => {
    const store = new CellStore(new MemoryStorage());
    expect(await store.merge('ks', 1n, text('k'), live('a', 10))).toEqual({ applied: true });
    expect(await store.merge('ks', 1n, text('k'), live('b', 20))).toEqual({ applied: true });
    expect(await store.merge('ks', 1n, text('k'), live('c', 15))).toEqual({ applied: false });
    expect(await store.get('ks', 1n, text('k'))).toEqual(live('b', 20));
  });

  it('breaks timestamp ties the same way on every replica', async () => {
    const store = new CellStore(new MemoryStorage());
    await store.merge('ks', 1n, text('k'), live('a', 10));
    expect((await store.merge('ks', 1n, text('k'), live('b', 10))).applied).toBe(true);
    expect((await store.merge('ks', 1n, text('k'), live('a', 10))).applied).toBe(false);
    expect((await store.merge('ks', 1n, text('k'), tombstone(10))).applied).toBe(true);
    expect((await store.merge('ks', 1n, text('k'), live('z', 10))).applied).toBe(false);
    // Replaying the same cell is a no-op, not a second write.
    expect((await store.merge('ks', 1n, text('k'), tombstone(10))).applied).toBe(false);
    expect(await store.get('ks', 1n, text('k'))).toEqual(tombstone(10));
  });

  it('keeps the winner when merges of one key are in flight together', async () => {
    const syncs = manualSyncs();
    const storage = new MemoryStorage({ syncDelay: syncs.syncDelay });
    const store = new CellStore(storage);
    const middle = store.merge('ks', 1n, text('k'), live('middle', 20));
    const oldest = store.merge('ks', 1n, text('k'), live('oldest', 10));
    const newest = store.merge('ks', 1n, text('k'), live('newest', 30));
    const older = store.merge('ks', 1n, text('k'), live('older', 25));
    await syncs.completeSyncs();
    expect(await middle).toEqual({ applied: true });
    expect(await oldest).toEqual({ applied: false });
    expect(await newest).toEqual({ applied: true });
    expect(await older).toEqual({ applied: false });
    expect(await store.get('ks', 1n, text('k'))).toEqual(live('newest', 30));
  });

  it('answers a superseded write only once the write that beat it is durable', async () => {
    const syncs = manualSyncs();
    const storage = new MemoryStorage({ syncDelay: syncs.syncDelay });
    const store = new CellStore(storage);
    const winner = store.merge('ks', 1n, text('k'), live('new', 20));
    const loser = store.merge('ks', 1n, text('k'), live('old', 10));
    const winnerState = settledFlag(winner);
    const loserState = settledFlag(loser);
    await new Promise((r) => setImmediate(r));
    expect(winnerState.settled).toBe(false);
    expect(loserState.settled).toBe(false);
    // Nothing is visible before it is durable: a read does not see the write still syncing.
    expect(await store.get('ks', 1n, text('k'))).toBeUndefined();
    await syncs.completeSyncs();
    expect((await loser).applied).toBe(false);
    expect(winnerState.settled).toBe(true);
  });

  it('group-commits merges of many keys instead of syncing them one by one', async () => {
    const storage = new MemoryStorage();
    const store = new CellStore(storage);
    const n = 200;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => store.merge('ks', BigInt(i), text(`k${i}`), live(`v${i}`, 1))),
    );
    expect(results.every((r) => r.applied)).toBe(true);
    expect(storage.stats.syncs).toBeLessThan(n / 4);
    for (let i = 0; i < n; i += 37)
      expect(await store.get('ks', BigInt(i), text(`k${i}`))).toEqual(live(`v${i}`, 1));
  });

  it('keeps every acknowledged merge through a crash, and nothing unacknowledged', async () => {
    const syncs = manualSyncs();
    const storage = new MemoryStorage({ syncDelay: syncs.syncDelay });
    const store = new CellStore(storage);
    const acked = store.merge('ks', 1n, text('acked'), live('v', 10));
    await syncs.completeSyncs();
    await acked;
    void store.merge('ks', 2n, text('lost'), live('v', 10));
    void store.merge('ks', 1n, text('acked'), live('newer', 20));
    await new Promise((r) => setImmediate(r));

    const restarted = new CellStore(storage.crash());
    expect(await restarted.get('ks', 1n, text('acked'))).toEqual(live('v', 10));
    expect(await restarted.get('ks', 2n, text('lost'))).toBeUndefined();
    expect((await restarted.merge('ks', 1n, text('acked'), live('newer', 20))).applied).toBe(true);
  });

  it('fails the merges of a failed sync, and decides the next one from what storage holds', async () => {
    const syncs = manualSyncs();
    const storage = new MemoryStorage({ syncDelay: syncs.syncDelay });
    const store = new CellStore(storage);
    const stored = store.merge('ks', 1n, text('k'), live('stored', 10));
    await syncs.completeSyncs();
    await stored;
    storage.failNextSync(new Error('disk full'));
    const failing = store.merge('ks', 1n, text('k'), live('failed', 30));
    const superseded = store.merge('ks', 1n, text('k'), live('between', 20));
    const failingResult = expect(failing).rejects.toThrow('disk full');
    // It lost to a write that never became durable, so it cannot claim to be superseded.
    const supersededResult = expect(superseded).rejects.toThrow('disk full');
    await syncs.completeSyncs();
    await failingResult;
    await supersededResult;
    const retried = store.merge('ks', 1n, text('k'), live('between', 20));
    await syncs.completeSyncs();
    expect(await retried).toEqual({ applied: true });
  });
});

describe('CellStore scanRange', () => {
  async function filled(): Promise<CellStore> {
    const store = new CellStore(new MemoryStorage());
    const cells: [bigint, string][] = [
      [MIN_TOKEN + 1n, 'low'],
      [-100n, 'b'],
      [-100n, 'a'],
      [0n, 'zero'],
      [100n, 'hundred'],
      [MAX_TOKEN, 'top'],
    ];
    await Promise.all(cells.map(([t, k]) => store.merge('ks', t, text(k), live('v', 1))));
    await store.merge('other', 0n, text('elsewhere'), live('v', 1));
    return store;
  }

  it('walks (start, end] in token order, then key order', async () => {
    const store = await filled();
    expect(await scan(store, -100n, 100n)).toEqual(['0:zero', '100:hundred']);
    expect(await scan(store, -101n, 0n)).toEqual(['-100:a', '-100:b', '0:zero']);
  });

  it('walks a wrapping range from start over the top of the ring', async () => {
    const store = await filled();
    expect(await scan(store, 0n, -100n)).toEqual([
      '100:hundred',
      `${MAX_TOKEN}:top`,
      `${MIN_TOKEN + 1n}:low`,
      '-100:a',
      '-100:b',
    ]);
  });

  it('walks the whole ring for (x, x], once each, in one keyspace only', async () => {
    const store = await filled();
    const all = await scan(store, 0n, 0n);
    expect(all).toEqual([
      '100:hundred',
      `${MAX_TOKEN}:top`,
      `${MIN_TOKEN + 1n}:low`,
      '-100:a',
      '-100:b',
      '0:zero',
    ]);
    expect(await scan(store, MIN_TOKEN, MIN_TOKEN)).toHaveLength(6);
  });

  it('resumes a paged scan after the last key it returned', async () => {
    const store = await filled();
    const resumed: string[] = [];
    for await (const c of store.scanRange('ks', -100n, 100n, { atToken: -100n, afterKey: text('a') })) {
      resumed.push(`${c.token}:${str(c.key)}`);
    }
    expect(resumed).toEqual(['-100:b', '0:zero', '100:hundred']);
    const atEnd: string[] = [];
    for await (const c of store.scanRange('ks', -100n, -100n, { atToken: -100n, afterKey: text('a') })) {
      atEnd.push(`${c.token}:${str(c.key)}`);
    }
    expect(atEnd).toEqual(['-100:b']);
  });
});

describe('CellStore purgeTombstones', () => {
  it('drops tombstones and expired values older than the cutoff, and nothing else', async () => {
    const storage = new MemoryStorage();
    const store = new CellStore(storage);
    await store.merge('ks', 1n, text('old-tombstone'), tombstone(10));
    await store.merge('ks', 2n, text('new-tombstone'), tombstone(500));
    await store.merge('ks', 3n, text('live'), live('v', 10));
    await store.merge('ks', 4n, text('expired'), { value: text('v'), timestamp: 10, expiresAt: 50 });
    await store.merge('ks', 5n, text('expires-later'), { value: text('v'), timestamp: 10, expiresAt: 5000 });
    await store.merge('other', 1n, text('old-tombstone'), tombstone(10));

    expect(await store.purgeTombstones('ks', 100)).toBe(2);
    expect(await scan(store, MIN_TOKEN, MIN_TOKEN)).toEqual(['2:new-tombstone', '3:live', '5:expires-later']);
    expect(await scan(store, MIN_TOKEN, MIN_TOKEN, 'other')).toEqual(['1:old-tombstone']);
  });

  it('never deletes a newer write that races the purge', async () => {
    const syncs = manualSyncs();
    const storage = new MemoryStorage({ syncDelay: syncs.syncDelay });
    const store = new CellStore(storage);
    const seeded = store.merge('ks', 1n, text('k'), tombstone(10));
    await syncs.completeSyncs();
    await seeded;

    const revived = store.merge('ks', 1n, text('k'), live('back', 20));
    const purge = store.purgeTombstones('ks', 100);
    await syncs.completeSyncs();
    expect(await revived).toEqual({ applied: true });
    expect(await purge).toBe(0);
    expect(await store.get('ks', 1n, text('k'))).toEqual(live('back', 20));
  });
});

describe('CellStore dropCells', () => {
  it('drops the cells of the tokens it is told to, from storage and from the row cache', async () => {
    const store = new CellStore(new MemoryStorage());
    for (const token of [1n, 2n, 3n, 4n, 5n])
      await store.merge('ks', token, text(`k${token}`), live('v', 10));
    await store.merge('other', 4n, text('k4'), live('v', 10));
    // Read once, so that the row cache holds it.
    expect(await store.get('ks', 4n, text('k4'))).toEqual(live('v', 10));

    expect(await store.dropCells('ks', (token) => token > 3n)).toBe(2);
    expect(await scan(store, MIN_TOKEN, MIN_TOKEN)).toEqual(['1:k1', '2:k2', '3:k3']);
    expect(await store.get('ks', 4n, text('k4'))).toBeUndefined();
    expect(await scan(store, MIN_TOKEN, MIN_TOKEN, 'other')).toEqual(['4:k4']);
  });
});
