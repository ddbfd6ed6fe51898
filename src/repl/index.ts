import type { ClusterApi } from '../client/api.js';
import type { InteractiveOptions } from './interactive.js';

/** What other commands (ringkv demo) reuse of the REPL. */
export type { InteractiveOptions } from './interactive.js';
export { runScript, type ScriptOptions } from './script.js';
export { splitStatements } from './parser.js';
export type { Session } from './commands.js';

/**
 * Opens the Ink REPL. Ink is loaded only here, and only after the CI markers of the environment
 * are set aside: Ink draws just its last frame when it believes it runs in CI, which would freeze
 * the screen of a person at a real terminal (the caller has checked both ends are TTYs).
 */
export async function runInteractiveRepl(api: ClusterApi, opts: InteractiveOptions): Promise<void> {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  const { runInteractiveRepl: run } = await import('./interactive.js');
  return run(api, opts);
}
