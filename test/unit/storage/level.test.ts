import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RingkvError } from '../../../src/protocol/errors.js';
import { LevelStorage } from '../../../src/node/storage/level.js';
import { describeStorage } from './storage-contract.js';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-storage-'));
  tempDirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describeStorage('LevelStorage', async () => {
  const dir = await tempDir();
  return {
    open: () => LevelStorage.open(join(dir, 'data')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('LevelStorage.open', () => {
  it('refuses a data folder another node has open, and says so', async () => {
    const dir = await tempDir();
    const first = await LevelStorage.open(dir);
    try {
      const second = LevelStorage.open(dir);
      await expect(second).rejects.toBeInstanceOf(RingkvError);
      await expect(second).rejects.toMatchObject({
        code: 'REFUSED',
        message: `data folder ${dir} is in use by another ringkv node: stop that node, or give this one its own --data`,
      });
    } finally {
      await first.close();
    }
    // Once the first node is gone the folder can be opened again.
    const again = await LevelStorage.open(dir);
    await again.close();
  });

  it('refuses a data folder it cannot create', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a folder');
    await expect(LevelStorage.open(join(file, 'data'))).rejects.toMatchObject({
      code: 'REFUSED',
      message: expect.stringContaining(`data folder ${join(file, 'data')} is not writable`) as unknown,
    });
  });
});

describe('LevelStorage size', () => {
  it('counts the database, not the node log beside it, and compacting gives back what was deleted', async () => {
    const dir = await tempDir();
    const storage = await LevelStorage.open(dir);
    try {
      const key = (i: number) => new TextEncoder().encode(`c-key-${String(i).padStart(5, '0')}`);
      const value = new Uint8Array(1000).fill(7);
      for (let i = 0; i < 500; i += 50) {
        await storage.write(Array.from({ length: 50 }, (_, j) => ({ key: key(i + j), value })));
      }
      const written = await storage.approximateSize();
      expect(written).toBeGreaterThan(500 * 1000);
      await writeFile(join(dir, 'node.log'), 'x'.repeat(200_000));
      expect(await storage.approximateSize()).toBe(written);

      await storage.write(Array.from({ length: 500 }, (_, i) => ({ key: key(i), value: null })));
      expect(await storage.approximateSize()).toBeGreaterThanOrEqual(written);
      await storage.compact({ gte: key(0), lt: key(500) });
      expect(await storage.approximateSize()).toBeLessThan(written / 10);
    } finally {
      await storage.close();
    }
  });
});

describe('LevelStorage durability', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('loses no acknowledged write when the process is killed with SIGKILL', async () => {
    const dir = await tempDir();
    const script = fileURLToPath(new URL('./fixtures/acking-writer.ts', import.meta.url));
    const proc = spawn(process.execPath, ['--import', 'tsx', script, dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const acked: number[] = [];
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      proc.stdout?.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) acked.push(Number(line));
        if (acked.length >= 2000) {
          proc.kill('SIGKILL');
          resolve();
        }
      });
      proc.on('exit', () => reject(new Error(`writer exited early: ${stderr}`)));
    });
    await exited;
    const storage = await LevelStorage.open(dir);
    try {
      const text = new TextEncoder();
      const missing: number[] = [];
      for (const i of acked) {
        const v = await storage.get(text.encode(`w${i}`));
        if (v === undefined || Buffer.from(v).toString() !== `v${i}`) missing.push(i);
      }
      expect(missing).toEqual([]);
    } finally {
      await storage.close();
    }
  });
});
