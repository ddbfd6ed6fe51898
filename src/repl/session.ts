import type { RepairProgress } from '../client/api.js';
import type { Command, Outcome, Session } from './commands.js';
import { completeLine } from './complete.js';
import { resultFailure } from './format.js';
import { parseCommand, splitStatements } from './parser.js';

/**
 * The REPL's state and every way it changes, as one pure reducer: the Ink app dispatches key
 * presses and command outcomes here and only renders the result, so all of the REPL's behaviour
 * short of drawing is testable without a terminal.
 */

/** Lines kept for up/down; older ones are dropped (the history file keeps the same number). */
export const maxHistoryEntries = 1000;

export interface Entry {
  id: number;
  input: string;
  /** The session keyspace when it ran, for the echoed prompt. */
  keyspace: string;
  outcome: Outcome;
  /** Statements queued behind this one that a failure or Ctrl-C dropped; shown, so nothing vanishes silently. */
  skipped: string[];
}

export interface Running {
  id: number;
  input: string;
  keyspace: string;
  command: Command;
  progress: RepairProgress | undefined;
  /** Ctrl-C was pressed; the command is being abandoned. */
  cancelling: boolean;
  /** What Ctrl-C took off the queue, for the entry's "not run" note. */
  dropped: string[];
}

export interface Topology {
  up: number;
  down: number;
}

export interface ReplState {
  contact: string;
  session: Session;
  line: string;
  cursor: number;
  /** Oldest first. */
  history: string[];
  /** How many lines were ever added to history, so that the app saves each new one once. */
  historyAdded: number;
  /** Which history line is shown while browsing with up/down; undefined when editing a new line. */
  historyIndex: number | undefined;
  /** The line being typed before browsing started, restored when browsing past the newest. */
  draft: string;
  /**
   * Finished commands, oldest first. Append-only so that Ink's <Static> prints each once; it grows
   * by one per command a person runs.
   */
  entries: Entry[];
  running: Running | undefined;
  /** Statements entered but not started yet: the rest of a `;` line, a paste, or type-ahead. */
  queue: string[];
  topology: Topology | undefined;
  /** For completion of `use` and `repair`. */
  keyspaceNames: string[];
  /** Completion choices shown under the prompt after a tab that matched several. */
  candidates: string[];
  /** Ctrl-C on an empty line arms exit; a second one exits. */
  exitArmed: boolean;
  exiting: boolean;
  /** Times the screen was to be cleared (clear, Ctrl-L): the app clears the terminal at each. */
  clears: number;
  nextId: number;
}

export type Action =
  | { type: 'insert'; text: string }
  | { type: 'backspace' }
  | { type: 'delete-forward' }
  | { type: 'cursor-left' }
  | { type: 'cursor-right' }
  | { type: 'cursor-home' }
  | { type: 'cursor-end' }
  | { type: 'kill-line' }
  | { type: 'history-prev' }
  | { type: 'history-next' }
  | { type: 'complete' }
  | { type: 'submit' }
  | { type: 'progress'; id: number; progress: RepairProgress }
  | { type: 'finished'; id: number; outcome: Outcome }
  | { type: 'interrupt' }
  | { type: 'eof' }
  | { type: 'clear-screen' }
  /** The client may have failed over to another contact node since the last one. */
  | { type: 'topology'; topology: Topology; contact?: string }
  | { type: 'keyspaces'; names: string[] };

export function initialState(contact: string, session: Session, history: string[] = []): ReplState {
  return {
    contact,
    session,
    line: '',
    cursor: 0,
    history: history.slice(-maxHistoryEntries),
    historyAdded: 0,
    historyIndex: undefined,
    draft: '',
    entries: [],
    running: undefined,
    queue: [],
    topology: undefined,
    keyspaceNames: [],
    candidates: [],
    exitArmed: false,
    exiting: false,
    clears: 0,
    nextId: 1,
  };
}

/** The session after a command: CONSISTENCY, TRACING and USE change it, nothing else does. */
export function applyOutcome(session: Session, outcome: Outcome): Session {
  if (outcome.kind !== 'ok') return session;
  const r = outcome.result;
  if (r.kind === 'consistency' && r.changed) return { ...session, cl: r.cl };
  if (r.kind === 'tracing' && r.changed) return { ...session, tracing: r.on };
  if (r.kind === 'use') return { ...session, keyspace: r.keyspace.name };
  return session;
}

function edit(state: ReplState, line: string, cursor: number): ReplState {
  return { ...state, line, cursor, candidates: [], exitArmed: false, historyIndex: undefined };
}

function pushHistory(history: string[], line: string): string[] {
  if (history[history.length - 1] === line) return history;
  const next = [...history, line];
  return next.length > maxHistoryEntries ? next.slice(next.length - maxHistoryEntries) : next;
}

/** Starts the next queued statement, unless one runs; a statement that does not parse empties the queue. */
function startNext(state: ReplState): ReplState {
  if (state.running || state.exiting) return state;
  let s = state;
  for (;;) {
    const [input, ...queue] = s.queue;
    if (input === undefined) return s;
    const id = s.nextId;
    const parsed = parseCommand(input);
    if (parsed.kind === 'empty') {
      s = { ...s, queue };
      continue;
    }
    if (parsed.kind === 'error') {
      const entry = {
        id,
        input,
        keyspace: s.session.keyspace,
        outcome: { kind: 'error' as const, error: parsed.error },
        skipped: queue,
      };
      return { ...s, queue: [], nextId: id + 1, entries: [...s.entries, entry] };
    }
    if (parsed.command.name === 'exit') return { ...s, queue: [], exiting: true };
    if (parsed.command.name === 'clear') {
      s = { ...s, queue, clears: s.clears + 1 };
      continue;
    }
    const running = {
      id,
      input,
      keyspace: s.session.keyspace,
      command: parsed.command,
      progress: undefined,
      cancelling: false,
      dropped: [],
    };
    return { ...s, queue, nextId: id + 1, running };
  }
}

/**
 * Entered lines become statements (split on `;` as in cqlsh) that run one after another; lines
 * entered while a command runs wait their turn, like type-ahead in a shell.
 */
function enqueue(state: ReplState, text: string): ReplState {
  const lines = text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  let history = state.history;
  let added = 0;
  for (const line of lines) {
    const next = pushHistory(history, line);
    if (next !== history) added++;
    history = next;
  }
  const statements = lines.flatMap(splitStatements);
  return startNext({
    ...state,
    history,
    historyAdded: state.historyAdded + added,
    queue: [...state.queue, ...statements],
  });
}

export function reduce(state: ReplState, action: Action): ReplState {
  switch (action.type) {
    case 'insert': {
      if (action.text === '') return state;
      const line = state.line.slice(0, state.cursor) + action.text + state.line.slice(state.cursor);
      // The line being edited holds no line end, so only the new text is searched for one: a long
      // paste arrives in many chunks, and searching the whole line at each made it quadratic.
      if (!/[\r\n]/.test(action.text)) return edit(state, line, state.cursor + action.text.length);
      // A paste of several lines enters each complete line; the last, unfinished one stays in the editor.
      const parts = line.split(/\r\n|\r|\n/);
      const rest = parts.pop() ?? '';
      return enqueue(edit(state, rest, rest.length), parts.join('\n'));
    }
    case 'backspace':
      if (state.cursor === 0) return { ...state, exitArmed: false };
      return edit(
        state,
        state.line.slice(0, state.cursor - 1) + state.line.slice(state.cursor),
        state.cursor - 1,
      );
    case 'delete-forward':
      if (state.cursor >= state.line.length) return { ...state, exitArmed: false };
      return edit(
        state,
        state.line.slice(0, state.cursor) + state.line.slice(state.cursor + 1),
        state.cursor,
      );
    case 'cursor-left':
      return { ...state, cursor: Math.max(0, state.cursor - 1), exitArmed: false };
    case 'cursor-right':
      return { ...state, cursor: Math.min(state.line.length, state.cursor + 1), exitArmed: false };
    case 'cursor-home':
      return { ...state, cursor: 0, exitArmed: false };
    case 'cursor-end':
      return { ...state, cursor: state.line.length, exitArmed: false };
    case 'kill-line':
      return edit(state, '', 0);
    case 'history-prev': {
      if (state.history.length === 0) return state;
      const index =
        state.historyIndex === undefined ? state.history.length - 1 : Math.max(0, state.historyIndex - 1);
      const line = state.history[index] ?? '';
      const draft = state.historyIndex === undefined ? state.line : state.draft;
      return {
        ...state,
        historyIndex: index,
        draft,
        line,
        cursor: line.length,
        candidates: [],
        exitArmed: false,
      };
    }
    case 'history-next': {
      if (state.historyIndex === undefined) return state;
      const index = state.historyIndex + 1;
      if (index >= state.history.length) {
        return {
          ...state,
          historyIndex: undefined,
          line: state.draft,
          cursor: state.draft.length,
          candidates: [],
        };
      }
      const line = state.history[index] ?? '';
      return { ...state, historyIndex: index, line, cursor: line.length, candidates: [], exitArmed: false };
    }
    case 'complete': {
      const c = completeLine(state.line, state.cursor, { keyspaces: state.keyspaceNames });
      return {
        ...state,
        line: c.line,
        cursor: c.cursor,
        candidates: c.candidates,
        exitArmed: false,
        historyIndex: undefined,
      };
    }
    case 'submit':
      return enqueue({ ...edit(state, '', 0), draft: '' }, state.line);
    case 'progress':
      if (state.running?.id !== action.id) return state;
      return { ...state, running: { ...state.running, progress: action.progress } };
    case 'finished': {
      const running = state.running;
      if (running?.id !== action.id) return state;
      // As in a script, what was queued behind a failed or cancelled command is dropped; a repair
      // that left ranges unrepaired, or a cleanup some node did not run, failed too.
      const failed =
        action.outcome.kind !== 'ok' ||
        running.cancelling ||
        resultFailure(action.outcome.result) !== undefined;
      const entry = {
        id: running.id,
        input: running.input,
        keyspace: running.keyspace,
        outcome: action.outcome,
        skipped: failed ? [...running.dropped, ...state.queue] : [],
      };
      const done = {
        ...state,
        running: undefined,
        session: applyOutcome(state.session, action.outcome),
        entries: [...state.entries, entry],
      };
      return failed ? { ...done, queue: [] } : startNext(done);
    }
    case 'interrupt':
      if (state.running) {
        const dropped = [...state.running.dropped, ...state.queue];
        return { ...state, queue: [], running: { ...state.running, cancelling: true, dropped } };
      }
      if (state.line !== '') return { ...edit(state, '', 0), draft: '' };
      if (state.exitArmed) return { ...state, exiting: true };
      return { ...state, exitArmed: true, candidates: [] };
    case 'eof':
      if (state.line === '' && !state.running) return { ...state, exiting: true };
      return reduce(state, { type: 'delete-forward' });
    case 'clear-screen':
      return { ...state, clears: state.clears + 1 };
    case 'topology':
      return { ...state, topology: action.topology, contact: action.contact ?? state.contact };
    case 'keyspaces':
      return { ...state, keyspaceNames: action.names };
  }
}
