import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { maxHistoryEntries } from './session.js';

/** Where up/down history lives between sessions: ~/.ringkv_history, or RINGKV_HISTORY (tests point it elsewhere). */
export function historyPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return env.RINGKV_HISTORY ?? join(home, '.ringkv_history');
}

export interface HistoryStore {
  /** Oldest first. */
  load(): Promise<string[]>;
  append(line: string): Promise<void>;
}

/**
 * One command per line, appended as it is entered so that two REPLs do not overwrite each
 * other. The file is cut back to the newest lines once it holds twice what the REPL keeps.
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
      const kept = lines.slice(-maxEntries);
      if (lines.length > 2 * maxEntries)
        await writeFile(path, kept.map((l) => `${l}\n`).join(''), { mode: 0o600 });
      return kept;
    },
    async append(line) {
      // Values typed at the prompt may be secrets: keep the file private.
      await appendFile(path, `${line.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
    },
  };
}
