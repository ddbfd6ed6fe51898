import { CONSISTENCY_LEVELS } from '../protocol/consistency.js';
import { COMMAND_NAMES, COMMANDS, resolveCommandName, type SlotKind } from './commands.js';
import { tokenize, type Token } from './parser.js';

/**
 * Tab completion from the command registry: command names first, then per argument slot the CL
 * names, keyspaces, command names or on/off, and flags after a dash. Keys and values are the
 * user's own and are never guessed.
 */

export interface CompletionContext {
  keyspaces: readonly string[];
}

export interface Completion {
  line: string;
  cursor: number;
  /** Shown to the user when more than one word fits. */
  candidates: string[];
}

function valuesFor(kind: SlotKind, ctx: CompletionContext): readonly string[] {
  switch (kind) {
    case 'cl':
      return CONSISTENCY_LEVELS;
    case 'keyspace':
      return ctx.keyspaces;
    case 'command':
      return COMMAND_NAMES;
    case 'switch':
      return ['on', 'off'];
    case 'key':
    case 'value':
    case 'name':
    case 'replication':
      return [];
  }
}

/** Words that fit where the cursor is, and where the word being completed starts. */
export function candidatesAt(
  line: string,
  cursor: number,
  ctx: CompletionContext,
): { start: number; prefix: string; candidates: string[] } {
  const before = line.slice(0, cursor);
  const { tokens, openQuote } = tokenize(before);
  const last = tokens[tokens.length - 1];
  const atNewWord = !last || (openQuote === undefined && last.end < before.length);
  const current: Token = atNewWord ? { text: '', quoted: false, start: cursor, end: cursor } : last;
  const previous = atNewWord ? tokens : tokens.slice(0, -1);
  const none = { start: current.start, prefix: current.text, candidates: [] };
  if (current.quoted) return none;

  const prefix = current.text.toLowerCase();
  const fits = (words: readonly string[]) => words.filter((w) => w.toLowerCase().startsWith(prefix));
  const head = previous[0];
  if (!head) return { ...none, candidates: fits(COMMAND_NAMES) };

  const name = head.quoted ? undefined : resolveCommandName(head.text);
  if (!name) return none;
  const { syntax } = COMMANDS[name];
  const flagWords = [...(syntax.cl ? ['--cl'] : []), ...syntax.flags.map((f) => `--${f.name}`)];
  const used = new Set(previous.filter((t) => !t.quoted).map((t) => t.text.toLowerCase()));
  const unusedFlags = flagWords.filter((f) => !used.has(f));
  if (current.text.startsWith('-')) return { ...none, candidates: fits(unusedFlags) };

  const before1 = previous[previous.length - 1];
  if (before1 && !before1.quoted && before1.text.toLowerCase() === '--cl' && syntax.cl) {
    return { ...none, candidates: fits(CONSISTENCY_LEVELS) };
  }

  // Count the positional words already typed, skipping flags and the value of --cl.
  let slotIndex = 0;
  for (let i = 1; i < previous.length; i++) {
    const t = previous[i]!;
    if (!t.quoted && t.text.startsWith('--')) {
      if (t.text.toLowerCase() === '--cl') i++;
      continue;
    }
    slotIndex++;
  }
  const slot = syntax.slots[slotIndex];
  const kind: SlotKind | undefined = slot
    ? slot.kind
    : syntax.cl && slotIndex === syntax.slots.length
      ? 'cl'
      : undefined;
  if (!kind) return none;
  const values = fits(valuesFor(kind, ctx));
  const flags = prefix === '' && syntax.flags.length > 0 ? unusedFlags : [];
  return { ...none, candidates: [...values, ...flags] };
}

function commonPrefix(words: readonly string[]): string {
  let common = words[0] ?? '';
  for (const w of words) {
    let i = 0;
    while (i < common.length && i < w.length && common[i]?.toLowerCase() === w[i]?.toLowerCase()) i++;
    common = common.slice(0, i);
  }
  return common;
}

/** What tab does: one fit is written out (with a space), several extend to their common prefix and are listed. */
export function completeLine(line: string, cursor: number, ctx: CompletionContext): Completion {
  const { start, prefix, candidates } = candidatesAt(line, cursor, ctx);
  const replace = (word: string): Completion => {
    const next = line.slice(0, start) + word + line.slice(cursor);
    return { line: next, cursor: start + word.length, candidates: [] };
  };
  if (candidates.length === 0) return { line, cursor, candidates: [] };
  if (candidates.length === 1) return replace(`${candidates[0] ?? ''} `);
  const common = commonPrefix(candidates);
  const extended = common.length > prefix.length ? replace(common) : { line, cursor, candidates: [] };
  return { ...extended, candidates };
}
