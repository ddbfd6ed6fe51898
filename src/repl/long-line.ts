/**
 * Long lines, shown in part. Ink measures and hard-wraps a text on every render, at a cost that
 * grows faster than its length (a 160 KB line took minutes), and a paste renders the prompt once
 * per chunk read: so the prompt shows a few rows around the cursor, and the echo of an entered
 * line its start. What is submitted is always the whole line; only what is drawn is cut.
 */

/** Rows of a long line the prompt shows around the cursor: enough to see what is being edited. */
export const promptRows = 3;

/** Rows of a long entered line its echo shows: the command and key are at its start. */
export const echoRows = 2;

/** Columns kept for the ellipses and the "(N chars)" note beside a cut line. */
const noteColumns = 24;

/** Never fewer characters than this, however narrow the terminal. */
const minChars = 20;

/** How many characters of a line fit in `rows` rows of `width` columns after a prefix such as the prompt. */
export function charsFor(rows: number, width: number, prefixLength: number): number {
  return Math.max(minChars, rows * width - prefixLength - noteColumns);
}

export interface LineWindow {
  /** Offsets in the line of the first character shown and of the one after the last. */
  start: number;
  end: number;
}

/** A high surrogate at i - 1 and a low one at i: cutting at i would split a character in two. */
function splitsPair(text: string, i: number): boolean {
  if (i <= 0 || i >= text.length) return false;
  const before = text.charCodeAt(i - 1);
  const after = text.charCodeAt(i);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}

/**
 * The part of a line the prompt shows: all of it when it fits in maxChars, otherwise maxChars
 * around the cursor (the end, after a paste), never cutting a character in two.
 */
export function cursorWindow(line: string, cursor: number, maxChars: number): LineWindow {
  if (maxChars < 1) throw new Error(`a line window must be positive, got ${maxChars}`);
  if (line.length <= maxChars) return { start: 0, end: line.length };
  // The cursor cell may be past the last character, so it counts as one of the characters shown.
  let start = Math.max(0, Math.min(cursor - Math.floor(maxChars / 2), line.length + 1 - maxChars));
  let end = Math.min(line.length, start + maxChars);
  if (splitsPair(line, start)) start++;
  if (splitsPair(line, end)) end--;
  return { start, end };
}

/** What the prompt draws of the line: the cursor's character apart, and what was left out. */
export interface PromptView {
  before: string;
  /** The character under the cursor, a blank past the end. */
  atCursor: string;
  after: string;
  cutStart: boolean;
  cutEnd: boolean;
  /** The whole line's length, shown when it is cut. */
  length: number;
}

/**
 * The prompt's view of the line, computed by the app so that the line itself is never a prop:
 * React's development build copies every changed prop of every render into a performance
 * entry, which for a pasted megabyte cost a megabyte per chunk read.
 */
export function promptView(line: string, cursor: number, maxChars: number): PromptView {
  const { start, end } = cursorWindow(line, cursor, maxChars);
  return {
    before: line.slice(start, cursor),
    atCursor: line[cursor] ?? ' ',
    after: line.slice(cursor + 1, end),
    cutStart: start > 0,
    cutEnd: end < line.length,
    length: line.length,
  };
}

/** The start of a text to echo, cut to maxChars; undefined when all of it fits. */
export function shortened(text: string, maxChars: number): string | undefined {
  if (text.length <= maxChars) return undefined;
  return text.slice(0, splitsPair(text, maxChars) ? maxChars - 1 : maxChars);
}

/**
 * The longest text of a result (a value, a key, an error message quoting a word) drawn whole: Ink
 * draws one of 4 KiB in about 0.1 s, one of 1 MiB (the default value limit) in many minutes.
 */
export const maxShownChars = 4096;

/** Characters of a typed word an error message quotes. */
const maxQuotedChars = 40;

/**
 * A typed word as an error message quotes it: cut to its start when long, so that a pasted
 * megabyte neither fills the message nor slows the search for what a typo meant, which compares
 * every character with every name (30 s for a megabyte). No command, CL or flag is that long,
 * so the cut word is refused all the same.
 */
export function cutWord(word: string): string {
  const head = shortened(word, maxQuotedChars);
  return head === undefined ? word : `${head}…`;
}
