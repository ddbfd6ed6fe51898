import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HELP_NOTES } from '../../../src/repl/commands.js';
import { fileHistory, historyPath, maxSavedLineBytes } from '../../../src/repl/history-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ringkv-history-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('history file', () => {
  it('lives in the home folder unless RINGKV_HISTORY says otherwise', () => {
    expect(historyPath({}, '/home/ada')).toBe('/home/ada/.ringkv_history');
    expect(historyPath({ RINGKV_HISTORY: '/tmp/h' }, '/home/ada')).toBe('/tmp/h');
  });

  it("is named, with the longest line it saves, in the REPL's help", () => {
    const note = HELP_NOTES.find((n) => n.includes('history')) ?? '';
    expect(note).toContain(historyPath({}, '~'));
    expect(note).toContain('RINGKV_HISTORY');
    expect(note).toContain(`lines over ${maxSavedLineBytes / 1024} KiB`);
  });

  it('starts empty, then keeps appended lines across sessions', async () => {
    const path = join(dir, 'h');
    expect(await fileHistory(path).load()).toEqual([]);
    await fileHistory(path).append('put a 1');
    await fileHistory(path).append('get a');
    expect(await fileHistory(path).load()).toEqual(['put a 1', 'get a']);
  });

  it('keeps only the newest lines and cuts a long file back', async () => {
    const path = join(dir, 'h');
    await writeFile(path, Array.from({ length: 25 }, (_, i) => `get k${i}\n`).join(''));
    expect(await fileHistory(path, 10).load()).toEqual(
      Array.from({ length: 10 }, (_, i) => `get k${i + 15}`),
    );
    expect((await readFile(path, 'utf8')).split('\n').filter(Boolean)).toHaveLength(10);
  });

  it('does not save a line longer than 16 KiB, and drops one an older file holds', async () => {
    const path = join(dir, 'h');
    const paste = `put p ${'z'.repeat(maxSavedLineBytes)}`;
    await fileHistory(path).append('put a 1');
    await fileHistory(path).append(paste);
    await fileHistory(path).append(`put b ${'z'.repeat(maxSavedLineBytes - 6)}`);
    expect((await readFile(path, 'utf8')).split('\n').map((l) => l.length)).toEqual([
      7,
      maxSavedLineBytes,
      0,
    ]);

    await writeFile(path, `get a\n${paste}\nget b\n`);
    expect(await fileHistory(path).load()).toEqual(['get a', 'get b']);
    expect(await readFile(path, 'utf8')).toBe('get a\nget b\n');
  });
});
