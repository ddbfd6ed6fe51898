import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDataFolder, makeFolder } from '../../../src/node/data-folder.js';

describe('the data folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'ringkv-folder-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is made with its missing parents, and one that exists is fine', async () => {
    const dir = join(root, 'a', 'b', 'c');
    await makeFolder(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    await makeFolder(dir);
    await makeFolder(`${root}/a/./b/../b/c`);
  });

  it('says a file is in the way, at the folder or above it', async () => {
    const file = join(root, 'file');
    writeFileSync(file, '');
    for (const dir of [file, join(file, 'x')]) {
      await expect(makeDataFolder(dir)).rejects.toThrow(
        `cannot create data folder ${dir}: a file is in the way: pick another --data, or move what is there`,
      );
    }
  });

  // Node's own recursive mkdir never returns for such a path.
  it.runIf(existsSync('/proc/self'))('fails where the parent takes no new folders', async () => {
    await expect(makeDataFolder('/proc/ringkv/data')).rejects.toThrow(
      'cannot create data folder /proc/ringkv/data: no folder can be made there: pick another --data',
    );
  });
});
