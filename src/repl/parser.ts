import { parseConsistency, type ConsistencyLevel } from '../protocol/consistency.js';
import { RingkvError, isRingkvError } from '../protocol/errors.js';
import {
  COMMANDS,
  resolveCommandName,
  unknownCommand,
  usageOf,
  type Command,
  type CommandName,
  type ParsedArgs,
  type Syntax,
} from './commands.js';
import { cutWord } from './long-line.js';

/**
 * The REPL's command language: words split on spaces, "..." or '...' quote a word with spaces,
 * a backslash escapes the next character inside double quotes. A quoted word is always taken
 * literally (never a CL or a flag), so `put k "one"` stores the text one.
 */

export interface Token {
  text: string;
  quoted: boolean;
  /** Offsets in the line, for completion. */
  start: number;
  end: number;
}

export interface TokenizeResult {
  tokens: Token[];
  /** The quote character left open at the end of the line, if any. */
  openQuote: '"' | "'" | undefined;
}

/** A word's plain characters, up to a blank or a quote, taken as one run: a pasted value can be a megabyte. */
const plainRun = /[^\s"']+/y;
/** What ends a double-quoted part, or escapes the character after it. */
const doubleQuoteStop = /["\\]/g;

/** A quoted part whose opening quote is just before `from`: its text, and where it ends (after the closing quote). */
function quotedPart(
  line: string,
  from: number,
  quote: '"' | "'",
): { text: string; end: number; closed: boolean } {
  let text = '';
  let i = from;
  for (;;) {
    let stop: number;
    if (quote === '"') {
      doubleQuoteStop.lastIndex = i;
      stop = doubleQuoteStop.exec(line)?.index ?? -1;
    } else stop = line.indexOf(quote, i);
    if (stop < 0) return { text: text + line.slice(i), end: line.length, closed: false };
    text += line.slice(i, stop);
    if (line[stop] === quote) return { text, end: stop + 1, closed: true };
    // A backslash inside "..." escapes the next character; a last one stays as it is.
    text += line[stop + 1] ?? '\\';
    i = stop + 2;
  }
}

const isBlank = (line: string, i: number) => /\s/.test(line[i] ?? '');

/** Splits a line into words; never fails, so completion can use it on a half-typed line. */
export function tokenize(line: string): TokenizeResult {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && isBlank(line, i)) i++;
    if (i >= line.length) break;
    const start = i;
    let text = '';
    let quoted = false;
    while (i < line.length && !isBlank(line, i)) {
      const c = line[i];
      if (c === '"' || c === "'") {
        quoted = true;
        const part = quotedPart(line, i + 1, c);
        text += part.text;
        i = Math.min(part.end, line.length);
        if (!part.closed) {
          tokens.push({ text, quoted, start, end: i });
          return { tokens, openQuote: c };
        }
      } else {
        plainRun.lastIndex = i;
        const run = plainRun.exec(line)?.[0] ?? '';
        text += run;
        i += run.length;
      }
    }
    tokens.push({ text, quoted, start, end: i });
  }
  return { tokens, openQuote: undefined };
}

/**
 * Splits a script into statements: on `;` and line ends outside quotes. Lines whose first
 * non-blank character is `#` are comments.
 */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  const add = (statement: string) => {
    if (statement.trim() !== '') statements.push(statement.trim());
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.trimStart().startsWith('#')) continue;
    // Statements are cut out of the line, not built a character at a time: a paste can be a megabyte.
    let start = 0;
    let quote: string | undefined;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        if (quote === '"' && c === '\\') i++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === ';') {
        add(line.slice(start, i));
        start = i + 1;
      }
    }
    add(line.slice(start));
  }
  return statements;
}

export type ParseResult =
  { kind: 'command'; command: Command } | { kind: 'empty' } | { kind: 'error'; error: RingkvError };

function usageError(name: CommandName, reason: string): RingkvError {
  return new RingkvError('USAGE', `${reason}: usage: ${usageOf(name)}`, { usage: usageOf(name) });
}

function parseArgs(name: CommandName, syntax: Syntax, words: Token[]): ParsedArgs {
  const positionals: Token[] = [];
  const flags = new Set<string>();
  let flagCl: ConsistencyLevel | undefined;
  let literal = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.quoted && !literal && word.text === '--') {
      literal = true;
      continue;
    }
    if (word.quoted || literal || !word.text.startsWith('--')) {
      positionals.push(word);
      continue;
    }
    const eq = word.text.indexOf('=');
    const flag = (eq < 0 ? word.text.slice(2) : word.text.slice(2, eq)).toLowerCase();
    const inline = eq < 0 ? undefined : word.text.slice(eq + 1);
    if (flag === 'cl' && syntax.cl) {
      const value = inline ?? words[++i]?.text;
      if (value === undefined) throw usageError(name, '--cl needs a consistency level');
      if (flagCl !== undefined) throw usageError(name, 'give the consistency level once');
      flagCl = parseConsistency(cutWord(value));
    } else if (syntax.flags.some((f) => f.name === flag) && inline === undefined) {
      flags.add(flag);
    } else {
      throw usageError(name, `${name} has no flag ${cutWord(word.text)}`);
    }
  }

  let cl = flagCl;
  const last = positionals[positionals.length - 1];
  if (syntax.cl && positionals.length === syntax.slots.length + 1 && last && !last.quoted) {
    if (flagCl !== undefined)
      throw usageError(name, 'give the consistency level once, as a word or with --cl');
    cl = parseConsistency(cutWord(last.text));
    positionals.pop();
  }
  const required = syntax.slots.filter((s) => !s.optional).length;
  if (positionals.length < required) {
    const missing = syntax.slots[positionals.length];
    throw usageError(name, `missing ${missing?.name ?? 'argument'}`);
  }
  if (positionals.length > syntax.slots.length) {
    throw usageError(name, `too many arguments (quote a word with spaces)`);
  }
  return { positionals: positionals.map((t) => t.text), cl, flags };
}

/** A line typed at the prompt or read from a script → a typed command, or a usage error. */
export function parseCommand(line: string): ParseResult {
  const { tokens, openQuote } = tokenize(line);
  const first = tokens[0];
  if (!first) return { kind: 'empty' };
  if (openQuote) {
    return { kind: 'error', error: new RingkvError('USAGE', `unterminated ${openQuote} quote`) };
  }
  const name = first.quoted ? undefined : resolveCommandName(first.text);
  if (!name) return { kind: 'error', error: unknownCommand(first.text) };
  const def = COMMANDS[name];
  try {
    const args = parseArgs(name, def.syntax, tokens.slice(1));
    return { kind: 'command', command: def.build(args) };
  } catch (e) {
    if (isRingkvError(e)) return { kind: 'error', error: e };
    throw e;
  }
}
