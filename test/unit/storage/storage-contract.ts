import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage, StoreRange } from '../../../src/node/world.js';
import type { StorageStats } from '../../../src/node/storage/group-commit.js';

/** A storage under test, with the group-commit counters both implementations expose. */
export interface TestedStorage extends Storage {
  readonly stats: StorageStats;
}

export interface StorageFixture {
  /** Opens the storage over the fixture's data; called again after close() it is a restart. */
  open(): Promise<TestedStorage>;
  /** Removes whatever the fixture created (temporary folders). */
  cleanup(): Promise<void>;
}

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function collect(storage: Storage, range: StoreRange): Promise<string[]> {
  const out: string[] = [];
  for await (const [k] of storage.iterate(range)) out.push(hex(k));
  return out;
}

/** Keys chosen to catch order bugs: prefixes of each other, 0x00 and 0xff, differing lengths. */
const tricky = [
  bytes(0x00),
  bytes(0x00, 0x00),
  bytes(0x01),
  bytes(0x01, 0xff),
  bytes(0x02),
  bytes(0x7f),
  bytes(0x80),
  bytes(0x80, 0x00),
  bytes(0xfe, 0xff, 0xff),
  bytes(0xff),
  bytes(0xff, 0x00),
  bytes(0xff, 0xff),
];
const sortedHex = tricky.map(hex).sort();

/** The same behaviour, whichever storage the node runs on. */
export function describeStorage(name: string, makeFixture: () => Promise<StorageFixture>): void {
  describe(`${name} (storage contract)`, () => {
    let fixture: StorageFixture;
    let storage: TestedStorage;

    beforeEach(async () => {
      fixture = await makeFixture();
      storage = await fixture.open();
    });

    afterEach(async () => {
      await storage.close();
      await fixture.cleanup();
    });

    async function restart(): Promise<TestedStorage> {
      await storage.close();
      storage = await fixture.open();
      return storage;
    }

    it('reads back what it wrote, overwrites, and deletes', async () => {
      expect(await storage.get(text('a'))).toBeUndefined();
      await storage.write([{ key: text('a'), value: text('1') }]);
      expect(await storage.get(text('a'))).toEqual(text('1'));
      await storage.write([{ key: text('a'), value: text('2') }]);
      expect(await storage.get(text('a'))).toEqual(text('2'));
      await storage.write([{ key: text('a'), value: null }]);
      expect(await storage.get(text('a'))).toBeUndefined();
      await storage.write([{ key: text('never'), value: null }]);
      expect(await collect(storage, {})).toEqual([]);
    });

    it('keeps its own copies: Buffers once written, read or iterated can change without changing what is stored', async () => {
      const key = Buffer.from('owned');
      const value = Buffer.from('value');
      await storage.write([{ key, value }]);
      key.fill(0x7a);
      value.fill(0x7a);
      const read = (await storage.get(text('owned'))) as Uint8Array;
      Buffer.from(read.buffer, read.byteOffset, read.byteLength).fill(0x78);
      for await (const [k, v] of storage.iterate({})) {
        Buffer.from(k.buffer, k.byteOffset, k.byteLength).fill(0x78);
        Buffer.from(v.buffer, v.byteOffset, v.byteLength).fill(0x78);
      }
      expect(await collect(storage, {})).toEqual([hex(text('owned'))]);
      expect(await storage.get(text('owned'))).toEqual(text('value'));
    });

    it('answers many reads asked at once, each with its own key, present or not', async () => {
      await storage.write(tricky.filter((_, i) => i % 2 === 0).map((k) => ({ key: k, value: k })));
      const values = await Promise.all(tricky.map((k) => storage.get(k)));
      expect(values).toEqual(tricky.map((k, i) => (i % 2 === 0 ? k : undefined)));
    });

    it('answers a read asked just before closing', async () => {
      await storage.write([{ key: text('a'), value: text('1') }]);
      const read = storage.get(text('a'));
      const closed = storage.close();
      expect(await read).toEqual(text('1'));
      await closed;
      storage = await fixture.open();
    });

    it('iterates in byte order, whatever the write order', async () => {
      for (const k of [...tricky].reverse()) await storage.write([{ key: k, value: k }]);
      expect(await collect(storage, {})).toEqual(sortedHex);
      for await (const [k, v] of storage.iterate({})) expect(v).toEqual(k);
    });

    it('honours gt, gte, lt, lte and limit in byte order', async () => {
      await storage.write(tricky.map((k) => ({ key: k, value: bytes(1) })));
      const bounds = [
        bytes(0x00),
        bytes(0x01),
        bytes(0x01, 0x00),
        bytes(0x80),
        bytes(0xff),
        bytes(0xff, 0xff, 0xff),
      ];
      const inRange = (k: string, r: StoreRange): boolean =>
        (r.gt === undefined || k > hex(r.gt)) &&
        (r.gte === undefined || k >= hex(r.gte)) &&
        (r.lt === undefined || k < hex(r.lt)) &&
        (r.lte === undefined || k <= hex(r.lte));
      for (const low of bounds) {
        for (const high of bounds) {
          for (const range of [
            { gt: low, lt: high },
            { gte: low, lt: high },
            { gt: low, lte: high },
            { gte: low, lte: high },
            { gte: low },
            { lt: high },
          ] satisfies StoreRange[]) {
            expect(await collect(storage, range), JSON.stringify(range)).toEqual(
              sortedHex.filter((k) => inRange(k, range)),
            );
          }
        }
      }
      expect(await collect(storage, { limit: 3 })).toEqual(sortedHex.slice(0, 3));
      expect(await collect(storage, { gt: bytes(0x01), limit: 2 })).toEqual(sortedHex.slice(3, 5));
      expect(await collect(storage, { limit: 0 })).toEqual([]);
    });

    it('applies a batch in order and all at once', async () => {
      const keys = Array.from({ length: 100 }, (_, i) => text(`k${String(i).padStart(3, '0')}`));
      await storage.write([
        { key: text('x'), value: text('first') },
        { key: text('x'), value: text('second') },
        { key: text('gone'), value: text('v') },
        { key: text('gone'), value: null },
      ]);
      expect(await storage.get(text('x'))).toEqual(text('second'));
      expect(await storage.get(text('gone'))).toBeUndefined();

      let done = false;
      const writing = storage.write(keys.map((key) => ({ key, value: key }))).then(() => (done = true));
      // A reader sees none of the batch or all of it, never a part.
      const seen = new Set<number>();
      while (!done) {
        seen.add((await collect(storage, { gte: text('k'), lt: text('l') })).length);
        await new Promise((r) => setImmediate(r));
      }
      await writing;
      seen.add((await collect(storage, { gte: text('k'), lt: text('l') })).length);
      expect([...seen].every((n) => n === 0 || n === 100)).toBe(true);
      expect(seen.has(100)).toBe(true);
    });

    it('acknowledges each write only once it can be read, and keeps every one across a restart', async () => {
      const n = 300;
      const visibleAtAck = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const key = text(`w${i}`);
          await storage.write([{ key, value: text(`v${i}`) }]);
          return (await storage.get(key)) !== undefined;
        }),
      );
      expect(visibleAtAck.every(Boolean)).toBe(true);
      await restart();
      for (let i = 0; i < n; i++) expect(await storage.get(text(`w${i}`))).toEqual(text(`v${i}`));
    });

    it('group-commits concurrent writers into few syncs', async () => {
      const before = { ...storage.stats };
      const n = 200;
      await Promise.all(
        Array.from({ length: n }, (_, i) => storage.write([{ key: text(`g${i}`), value: bytes(i % 256) }])),
      );
      const syncs = storage.stats.syncs - before.syncs;
      expect(storage.stats.writes - before.writes).toBe(n);
      expect(syncs).toBeGreaterThanOrEqual(1);
      expect(syncs).toBeLessThan(n / 4);
      expect(storage.stats.largestGroup).toBeGreaterThan(1);
    });

    it('rejects a malformed write without failing the writes it would have shared a sync with', async () => {
      const good = Array.from({ length: 20 }, (_, i) =>
        storage.write([{ key: text(`ok${i}`), value: bytes(1) }]),
      );
      const bad = storage.write([{ key: 'not bytes' as unknown as Uint8Array, value: bytes(1) }]);
      await expect(bad).rejects.toThrow(TypeError);
      await Promise.all(good);
      expect(await collect(storage, { gte: text('ok'), lt: text('ol') })).toHaveLength(20);
    });

    it('finishes accepted writes before closing, and a restart finds them and not deleted keys', async () => {
      await storage.write([{ key: text('deleted'), value: text('v') }]);
      const pending = [
        storage.write([{ key: text('late'), value: text('v') }]),
        storage.write([{ key: text('deleted'), value: null }]),
      ];
      await restart();
      await Promise.all(pending);
      expect(await storage.get(text('late'))).toEqual(text('v'));
      expect(await storage.get(text('deleted'))).toBeUndefined();
    });

    it('reports a size that grows with the data', async () => {
      const empty = await storage.approximateSize();
      const value = new Uint8Array(64 * 1024).fill(7);
      await storage.write(Array.from({ length: 16 }, (_, i) => ({ key: text(`big${i}`), value })));
      expect(await storage.approximateSize()).toBeGreaterThan(empty);
    });

    it('does not let a caller reusing its buffers change what was written', async () => {
      const key = text('reuse');
      const value = text('before');
      await storage.write([{ key, value }]);
      value.set(text('after!'));
      key.set(text('RE'));
      expect(await storage.get(text('reuse'))).toEqual(text('before'));
    });
  });
}
