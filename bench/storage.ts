/**
 * What group commit buys on this disk. Run: npx tsx bench/storage.ts
 *
 * Synced puts one at a time (each waits for its own fsync) against the same puts from 64 and 256
 * concurrent writers, which LevelStorage group-commits into shared synced batches. Also a
 * CellStore merge run, which adds a read per write for last-write-wins.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CellStore } from '../src/node/storage/cell-store.js';
import { LevelStorage } from '../src/node/storage/level.js';

const VALUE_BYTES = 100;
const SEQUENTIAL_OPS = 2_000;
const CONCURRENT_OPS = 20_000;

const value = new Uint8Array(VALUE_BYTES).fill(0x61);
const utf8 = new TextEncoder();

interface Result {
  name: string;
  ops: number;
  seconds: number;
  syncs: number;
}

async function withStorage(fn: (s: LevelStorage) => Promise<void>): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-bench-'));
  const storage = await LevelStorage.open(dir);
  try {
    await fn(storage);
    return storage.stats.syncs;
  } finally {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function timed(name: string, ops: number, fn: (s: LevelStorage) => Promise<void>): Promise<Result> {
  let seconds = 0;
  const syncs = await withStorage(async (s) => {
    const start = performance.now();
    await fn(s);
    seconds = (performance.now() - start) / 1000;
  });
  return { name, ops, seconds, syncs };
}

async function writers(count: number, ops: number, put: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: count }, async () => {
      for (let i = next++; i < ops; i = next++) await put(i);
    }),
  );
}

const results: Result[] = [];
results.push(
  await timed('synced puts, one at a time', SEQUENTIAL_OPS, async (s) => {
    for (let i = 0; i < SEQUENTIAL_OPS; i++) await s.write([{ key: utf8.encode(`k${i}`), value }]);
  }),
);
for (const concurrency of [64, 256]) {
  results.push(
    await timed(`group commit, ${concurrency} writers`, CONCURRENT_OPS, (s) =>
      writers(concurrency, CONCURRENT_OPS, (i) => s.write([{ key: utf8.encode(`k${i}`), value }])),
    ),
  );
}
results.push(
  await timed('CellStore merges, 256 writers', CONCURRENT_OPS, (s) => {
    const cells = new CellStore(s);
    return writers(256, CONCURRENT_OPS, (i) =>
      cells.merge('bench', BigInt(i) * 7_919n, utf8.encode(`k${i}`), {
        value,
        timestamp: 1_700_000_000_000_000 + i,
      }),
    );
  }),
);

console.log(`value ${VALUE_BYTES} B, ${tmpdir()}`);
for (const r of results) {
  const opsPerSecond = Math.round(r.ops / r.seconds);
  const perSync = (r.ops / r.syncs).toFixed(1);
  console.log(
    `${r.name.padEnd(32)} ${String(opsPerSecond).padStart(8)} ops/s  ${perSync.padStart(6)} writes/sync`,
  );
}
