import { describe, expect, it } from 'vitest';
import type { ReplicaChannel } from '../../../src/coordination/world.js';
import { RangeStreamer, STREAM_PAGE_CELLS } from '../../../src/node/streaming.js';
import type { OpName, OpRequest, OpResult } from '../../../src/protocol/ops/index.js';
import { withResolvers } from '../../../src/protocol/with-resolvers.js';

const range = { start: 0n, end: 100n };
const cell = { value: new Uint8Array([1]), timestamp: 1 };

/** A source holding `pages` full pages, and a target whose writes the test settles by hand. */
function cluster(pages: number) {
  const events: string[] = [];
  const writes: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let served = 0;
  const channel: ReplicaChannel = {
    request<K extends OpName>(to: string, op: K, body: OpRequest<K>): Promise<OpResult<K>> {
      if (op === 'range_scan') {
        const page = served++;
        events.push(`scan ${page}`);
        const cells = Array.from({ length: STREAM_PAGE_CELLS }, (_, i) => ({
          token: String(page),
          key: new Uint8Array([page, i >> 8, i & 255]),
          cell,
        }));
        return Promise.resolve({ cells, more: page + 1 < pages } as OpResult<K>);
      }
      const { cells } = body as OpRequest<'replica_write_batch'>;
      events.push(`write ${writes.length} to ${to} (${cells.length} cells)`);
      const w = withResolvers<void>();
      writes.push({ resolve: () => w.resolve(), reject: (e) => w.reject(e) });
      return w.promise.then(() => ({}) as OpResult<K>);
    },
  };
  return { channel, events, writes };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('RangeStreamer', () => {
  it('reads the next page while the last one is written, one write at a time', async () => {
    const { channel, events, writes } = cluster(3);
    const pulled = new RangeStreamer('self', channel, 1000).pull('source', 'default', range);
    await tick();
    expect(events).toEqual(['scan 0', `write 0 to self (${STREAM_PAGE_CELLS} cells)`, 'scan 1']);
    writes[0]?.resolve();
    await tick();
    expect(events.slice(3)).toEqual([`write 1 to self (${STREAM_PAGE_CELLS} cells)`, 'scan 2']);
    writes[1]?.resolve();
    await tick();
    writes[2]?.resolve();
    expect(await pulled).toBe(3 * STREAM_PAGE_CELLS);
  });

  it('fails with a write that failed while the next page was read, and reads no further', async () => {
    const { channel, events, writes } = cluster(3);
    const pushed = new RangeStreamer('self', channel, 1000).push('target', 'default', range);
    await tick();
    writes[0]?.reject(new Error('target is down'));
    await expect(pushed).rejects.toThrow('target is down');
    expect(events.filter((e) => e.startsWith('scan'))).toEqual(['scan 0', 'scan 1']);
  });
});
