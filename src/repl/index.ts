/** What other commands (ringkv demo) reuse of the REPL. */
export { runInteractiveRepl, type InteractiveOptions } from './interactive.js';
export { runScript, type ScriptOptions } from './script.js';
export { splitStatements } from './parser.js';
export type { Session } from './commands.js';
