import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { maxHistoryEntries } from './session.js';

/** Where up/down history lives between sessions: ~/.ringkv_history, or RINGKV_HISTORY (tests point it elsewhere). */
export function historyPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return env.RINGKV_HISTORY ?? join(home, '.ringkv_history');
}

/**
 * Longer lines stay in the session's up/down history but are not saved: a pasted value may be
 * a megabyte, and every later session would load it (the REPL's help names the file and this).
 */
export const maxSavedLineBytes = 16 * 1024;

const fitsFile = (line: string) => Buffer.byteLength(line, 'utf8') <= maxSavedLineBytes;

export interface HistoryStore {
  /** Oldest first. */
  load(): Promise<string[]>;
  append(line: string): Promise<void>;
}

/**
 * One command per line, appended as it is entered so that two REPLs do not overwrite each
 * other. The file is cut back to the newest lines once it holds twice what the REPL keeps, or
 * holds a line too long to save (written before there was a limit).
 */
export function fileHistory(path: string, maxEntries = maxHistoryEntries): HistoryStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      const saved = lines.filter(fitsFile);
      const kept = saved.slice(-maxEntries);
      if (lines.length > 2 * maxEntries || saved.length < lines.length)
        await writeFile(path, kept.map((l) => `${l}\n`).join(''), { mode: 0o600 });
      return kept;
    },
    async append(line) {
      if (!fitsFile(line)) return;
      // Values typed at the prompt may be secrets: keep the file private.
      await appendFile(path, `${line.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
    },
  };
}
