import { render } from 'ink';
import type { ClusterApi } from '../client/api.js';
import { RingkvError } from '../protocol/errors.js';
import { App } from './app.js';
import type { Session } from './commands.js';
import { fileHistory, historyPath, type HistoryStore } from './history-file.js';

export interface InteractiveOptions {
  session: Session;
  /** Defaults to the file at historyPath(). */
  history?: HistoryStore;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/**
 * Runs the Ink REPL until the user leaves (exit, Ctrl-D, or Ctrl-C twice on an empty line).
 * `ringkv repl` and `ringkv demo` both open it; it needs a terminal on both ends.
 */
export async function runInteractiveRepl(api: ClusterApi, opts: InteractiveOptions): Promise<void> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  if (!stdin.isTTY || !stdout.isTTY) {
    throw new RingkvError(
      'USAGE',
      'the interactive REPL needs a terminal: use -e, -f or a pipe to run commands',
    );
  }
  const history = opts.history ?? fileHistory(historyPath());
  // An unreadable history file costs the user their old lines, not the session.
  const initialHistory = await history.load().catch(() => []);
  const instance = render(
    <App
      api={api}
      session={opts.session}
      history={history}
      initialHistory={initialHistory}
      // The REPL is the edge of the program: the wall clock only dates what it shows.
      nowMs={() => Date.now()}
    />,
    // Ctrl-C cancels a command or clears the line; the app decides when it means exit.
    { stdin, stdout, exitOnCtrlC: false },
  );
  await instance.waitUntilExit();
}
