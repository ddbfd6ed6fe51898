import { describe, expect, it } from 'vitest';
import { manualSyncs, settledFlag } from './manual-syncs.js';
import { MemoryStorage } from '../../../src/node/storage/memory.js';
import { describeStorage } from './storage-contract.js';

describeStorage('MemoryStorage', () => {
  let current: MemoryStorage | undefined;
  return Promise.resolve({
    open: () => {
      // A restart starts from what the previous instance synced, as a process reopening its files.
      current = new MemoryStorage(current ? { initial: current.snapshotDurable() } : {});
      return Promise.resolve(current);
    },
    cleanup: () => Promise.resolve(),
  });
});

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('MemoryStorage crashes', () => {
  it('keeps exactly the synced writes: nothing still queued or in flight survives', async () => {
    const syncs = manualSyncs();
    const storage = new MemoryStorage({ syncDelay: syncs.syncDelay });
    const acked = storage.write([{ key: text('acked'), value: text('1') }]);
    await syncs.completeSyncs();
    await acked;

    const inFlight = storage.write([{ key: text('in-flight'), value: text('2') }]);
    const queued = storage.write([
      { key: text('queued'), value: text('3') },
      { key: text('acked'), value: null },
    ]);
    const inFlightState = settledFlag(inFlight);
    const queuedState = settledFlag(queued);

    const restarted = storage.crash();
    // The dead instance's pending sync fires later and must change nothing anywhere.
    await syncs.completeSyncs();

    expect(await restarted.get(text('acked'))).toEqual(text('1'));
    expect(await restarted.get(text('in-flight'))).toBeUndefined();
    expect(await restarted.get(text('queued'))).toBeUndefined();
    expect(inFlightState.settled).toBe(false);
    expect(queuedState.settled).toBe(false);
    // What the dead node's leftover code asks afterwards never answers: it just stops.
    const zombieWrite = settledFlag(storage.write([{ key: text('zombie'), value: text('5') }]));
    const zombieRead = settledFlag(storage.get(text('acked')));
    await syncs.completeSyncs();
    expect(zombieWrite.settled).toBe(false);
    expect(zombieRead.settled).toBe(false);
    expect(await restarted.get(text('zombie'))).toBeUndefined();

    await restarted.write([{ key: text('after'), value: text('4') }]);
    expect(await restarted.get(text('after'))).toEqual(text('4'));
  });

  it('does not acknowledge a write before its sync completes', async () => {
    const syncs = manualSyncs();
    const storage = new MemoryStorage({ syncDelay: syncs.syncDelay });
    const write = storage.write([{ key: text('k'), value: text('v') }]);
    const state = settledFlag(write);
    await new Promise((r) => setImmediate(r));
    expect(state.settled).toBe(false);
    expect(await storage.get(text('k'))).toBeUndefined();
    await syncs.completeSyncs();
    await write;
    expect(await storage.get(text('k'))).toEqual(text('v'));
  });

  it('rejects every write of a failed sync, applies none of them, and recovers', async () => {
    const storage = new MemoryStorage();
    storage.failNextSync(new Error('disk full'));
    const first = storage.write([{ key: text('a'), value: text('1') }]);
    const second = storage.write([{ key: text('b'), value: text('2') }]);
    const third = storage.write([{ key: text('c'), value: text('3') }]);
    await expect(first).rejects.toThrow('disk full');
    await Promise.all([second, third]);
    expect(await storage.get(text('a'))).toBeUndefined();
    expect(await storage.get(text('b'))).toEqual(text('2'));
  });

  it('gives an open iterator a snapshot, unchanged by writes synced meanwhile', async () => {
    const storage = new MemoryStorage();
    await storage.write(['a', 'b', 'c'].map((k) => ({ key: text(k), value: text(k) })));
    const seen: string[] = [];
    for await (const [k] of storage.iterate({})) {
      seen.push(new TextDecoder().decode(k));
      if (seen.length === 1)
        await storage.write([
          { key: text('b'), value: null },
          { key: text('bb'), value: text('x') },
        ]);
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    const after: string[] = [];
    for await (const [k] of storage.iterate({})) after.push(new TextDecoder().decode(k));
    expect(after).toEqual(['a', 'bb', 'c']);
  });
});
