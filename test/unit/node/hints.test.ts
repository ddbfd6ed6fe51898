import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/coordination/world.js';
import { HintStore } from '../../../src/node/hints.js';
import { MemoryStorage } from '../../../src/node/storage/memory.js';

const now = { ms: 10_000_000 };
const clock: Clock = {
  nowMicros: () => now.ms * 1000,
  monotonicMs: () => now.ms,
  setTimer: () => ({ cancel() {} }),
  defer: (fn) => fn(),
};
const cell = { value: new Uint8Array([1]), timestamp: 1 };
const key = new Uint8Array([7]);

function store(options: { enabled?: boolean; downSinceMs?: number } = {}) {
  return new HintStore(
    new MemoryStorage(),
    clock,
    { enabled: options.enabled ?? true, maxHintWindowMs: 60_000 },
    () => options.downSinceMs,
  );
}

describe('HintStore', () => {
  it('stores a hint for a target down within the hint window', async () => {
    const hints = store({ downSinceMs: now.ms - 1000 });
    expect(await hints.store('n2', 'ks', key, cell)).toEqual({ stored: true });
    expect(await hints.summary()).toMatchObject([{ target: 'n2', count: 1 }]);
  });

  it('says why it stores none: handoff off, past the window, a removed target', async () => {
    expect(await store({ enabled: false }).store('n2', 'ks', key, cell)).toEqual({
      stored: false,
      reason: 'hinted handoff is off on this node (--hinted-handoff false)',
    });
    expect(await store({ downSinceMs: now.ms - 61_000 }).store('n2', 'ks', key, cell)).toEqual({
      stored: false,
      reason: 'it has been down longer than the hint window (--max-hint-window): repair heals it',
    });
    const removed = store();
    await removed.forget('n2');
    expect(await removed.store('n2', 'ks', key, cell)).toEqual({
      stored: false,
      reason: 'it was removed from the cluster',
    });
  });
});
