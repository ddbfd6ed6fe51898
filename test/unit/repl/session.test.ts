import { describe, expect, it } from 'vitest';
import { RingkvError } from '../../../src/protocol/errors.js';
import {
  initialState,
  maxHistoryEntries,
  reduce,
  type Action,
  type ReplState,
} from '../../../src/repl/session.js';

const session = { cl: 'ONE', keyspace: 'default', tracing: false } as const;
const start = (history: string[] = []) => initialState('127.0.0.1:7401', { ...session }, history);

function run(state: ReplState, ...actions: Action[]): ReplState {
  return actions.reduce(reduce, state);
}

const type = (text: string): Action => ({ type: 'insert', text });

describe('reduce: editing', () => {
  it('inserts at the cursor and deletes before it', () => {
    const s = run(start(), type('gt a'), { type: 'cursor-home' }, { type: 'cursor-right' }, type('e'));
    expect(s.line).toBe('get a');
    expect(s.cursor).toBe(2);
    const t = run(s, { type: 'cursor-end' }, { type: 'backspace' }, { type: 'backspace' });
    expect(t.line).toBe('get');
  });

  it('enters each complete line of a paste and keeps the unfinished one', () => {
    const s = run(start(), type('put a 1\nget a\nsta'));
    expect(s.running?.input).toBe('put a 1');
    expect(s.queue).toEqual(['get a']);
    expect(s).toMatchObject({ line: 'sta', cursor: 3, history: ['put a 1', 'get a'], historyAdded: 2 });
  });

  it('takes a paste of a megabyte in 1 KiB chunks in linear time, and runs the whole line', () => {
    // Each chunk used to be searched for line ends with the whole line: 10 s for this paste.
    const value = 'z'.repeat(1024 * 1024);
    const line = `put p1 ${value}`;
    const began = performance.now();
    let s = start();
    for (let i = 0; i < line.length; i += 1024) s = reduce(s, type(line.slice(i, i + 1024)));
    s = reduce(s, type('\n'));
    expect(performance.now() - began).toBeLessThan(2000);
    expect(s.running?.command).toEqual({ name: 'put', key: 'p1', value, cl: undefined });
  });

  it('clears the line with kill-line', () => {
    expect(run(start(), type('status'), { type: 'kill-line' })).toMatchObject({ line: '', cursor: 0 });
  });
});

describe('reduce: submitting', () => {
  it('starts a parsed command and records it in history', () => {
    const s = run(start(), type('get a quorum'), { type: 'submit' });
    expect(s.line).toBe('');
    expect(s.running).toMatchObject({
      id: 1,
      input: 'get a quorum',
      command: { name: 'get', key: 'a', cl: 'QUORUM' },
    });
    expect(s.history).toEqual(['get a quorum']);
  });

  it('logs a parse error at once, without running anything', () => {
    const s = run(start(), type('gte a'), { type: 'submit' });
    expect(s.running).toBeUndefined();
    expect(s.entries).toHaveLength(1);
    const outcome = s.entries[0]?.outcome;
    expect(outcome?.kind === 'error' && outcome.error.message).toContain('did you mean "get"?');
  });

  it('ignores a blank line and keeps no duplicate history', () => {
    const s = run(start(), type('  '), { type: 'submit' }, type('status'), { type: 'submit' });
    expect(s.history).toEqual(['status']);
    const t = run(s, { type: 'finished', id: 1, outcome: { kind: 'cancelled' } }, type('status'), {
      type: 'submit',
    });
    expect(t.history).toEqual(['status']);
  });

  it('queues lines entered while a command runs, like type-ahead', () => {
    let s = run(start(), type('status'), { type: 'submit' }, type('ring'), { type: 'submit' });
    expect(s).toMatchObject({ line: '', queue: ['ring'] });
    expect(s.running?.input).toBe('status');
    s = reduce(s, { type: 'finished', id: 1, outcome: { kind: 'ok', result: { kind: 'exit' } } });
    expect(s.running).toMatchObject({ id: 2, input: 'ring' });
    expect(s.queue).toEqual([]);
  });

  it('runs statements separated by ; in turn and drops the rest after a failure', () => {
    let s = run(start(), type('put a 1; pt b; get a'), { type: 'submit' });
    expect(s.history).toEqual(['put a 1; pt b; get a']);
    expect(s.running?.input).toBe('put a 1');
    s = reduce(s, { type: 'finished', id: 1, outcome: { kind: 'ok', result: { kind: 'exit' } } });
    expect(s.running).toBeUndefined();
    expect(s.queue).toEqual([]);
    expect(s.entries.map((e) => [e.input, e.outcome.kind])).toEqual([
      ['put a 1', 'ok'],
      ['pt b', 'error'],
    ]);
  });

  it('drops the queue when a command fails or is cancelled', () => {
    let s = run(start(), type('get a; get b; get c'), { type: 'submit' });
    s = reduce(s, {
      type: 'finished',
      id: 1,
      outcome: { kind: 'error', error: new RingkvError('READ_TIMEOUT', 'slow') },
    });
    expect(s).toMatchObject({ running: undefined, queue: [] });
    s = run(s, type('get a; get b'), { type: 'submit' }, { type: 'interrupt' });
    expect(s.queue).toEqual([]);
    expect(s.running?.cancelling).toBe(true);
  });

  it('drops the queue after a repair that left ranges unrepaired, as a script stops there', () => {
    const summary = {
      keyspace: 'default',
      ranges: 48,
      mismatched: 0,
      keysStreamed: 0,
      bytesStreamed: 0,
      durationMs: 9,
      failedRanges: [{ start: '0', end: '10', reason: 'replica n3 is down' }],
      preview: false,
    };
    let s = run(start(), type('repair; get a'), { type: 'submit' });
    s = reduce(s, { type: 'finished', id: 1, outcome: { kind: 'ok', result: { kind: 'repair', summary } } });
    expect(s).toMatchObject({ running: undefined, queue: [] });
    expect(s.entries[0]?.skipped).toEqual(['get a']);
    // Every range repaired: what was queued runs.
    s = run(s, type('repair; get a'), { type: 'submit' });
    const repaired = { ...summary, failedRanges: [] };
    s = reduce(s, {
      type: 'finished',
      id: 2,
      outcome: { kind: 'ok', result: { kind: 'repair', summary: repaired } },
    });
    expect(s.running?.input).toBe('get a');
  });

  it('keeps what a failure or Ctrl-C dropped on the entry, so nothing vanishes unseen', () => {
    let s = run(start(), type('get a; get b'), { type: 'submit' }, type('get c'), { type: 'submit' });
    s = reduce(s, {
      type: 'finished',
      id: 1,
      outcome: { kind: 'error', error: new RingkvError('READ_TIMEOUT', 'slow') },
    });
    expect(s.entries[0]?.skipped).toEqual(['get b', 'get c']);
    s = run(s, type('get d; get e'), { type: 'submit' }, { type: 'interrupt' });
    s = reduce(s, { type: 'finished', id: 2, outcome: { kind: 'cancelled' } });
    expect(s.entries[1]?.skipped).toEqual(['get e']);
    s = run(s, type('get f'), { type: 'submit' });
    s = reduce(s, { type: 'finished', id: 3, outcome: { kind: 'ok', result: { kind: 'exit' } } });
    expect(s.entries[2]?.skipped).toEqual([]);
  });

  it('follows the client to another contact node', () => {
    const s = reduce(start(), { type: 'topology', topology: { up: 1, down: 2 }, contact: '127.0.0.1:7402' });
    expect(s).toMatchObject({ contact: '127.0.0.1:7402', topology: { up: 1, down: 2 } });
  });

  it('exits on exit', () => {
    expect(run(start(), type('exit'), { type: 'submit' }).exiting).toBe(true);
  });

  it('clears the screen on clear and Ctrl-L, without an entry, and goes on with the queue', () => {
    const s = run(start(), type('clear; cls; get a'), { type: 'submit' });
    expect(s.clears).toBe(2);
    expect(s.entries).toEqual([]);
    expect(s.running?.input).toBe('get a');
    expect(s.history).toEqual(['clear; cls; get a']);
    expect(reduce(start(), { type: 'clear-screen' }).clears).toBe(1);
  });

  it('bounds the history', () => {
    const lines = Array.from({ length: maxHistoryEntries + 5 }, (_, i) => `get k${i}`);
    const s = run(start(lines), type('get new'), { type: 'submit' });
    expect(s.history).toHaveLength(maxHistoryEntries);
    expect(s.history[0]).toBe('get k6');
    expect(s.history[s.history.length - 1]).toBe('get new');
  });
});

describe('reduce: outcomes', () => {
  it('logs the outcome and applies session changes', () => {
    let s = run(start(), type('consistency quorum'), { type: 'submit' });
    s = reduce(s, {
      type: 'finished',
      id: 1,
      outcome: { kind: 'ok', result: { kind: 'consistency', cl: 'QUORUM', changed: true } },
    });
    expect(s.session.cl).toBe('QUORUM');
    expect(s.running).toBeUndefined();
    expect(s.entries.map((e) => e.input)).toEqual(['consistency quorum']);

    s = run(s, type('tracing on'), { type: 'submit' });
    s = reduce(s, {
      type: 'finished',
      id: 2,
      outcome: { kind: 'ok', result: { kind: 'tracing', on: true, changed: true } },
    });
    expect(s.session.tracing).toBe(true);

    s = run(s, type('use users'), { type: 'submit' });
    s = reduce(s, {
      type: 'finished',
      id: 3,
      outcome: {
        kind: 'ok',
        result: { kind: 'use', keyspace: { name: 'users', replication: { strategy: 'simple', rf: 2 } } },
      },
    });
    expect(s.session).toEqual({ cl: 'QUORUM', keyspace: 'users', tracing: true });
  });

  it('leaves the session alone after an error or a cancel', () => {
    let s = run(start(), type('use nope'), { type: 'submit' });
    s = reduce(s, {
      type: 'finished',
      id: 1,
      outcome: { kind: 'error', error: new RingkvError('NOT_FOUND', 'no keyspace') },
    });
    expect(s.session.keyspace).toBe('default');
    expect(s.entries).toHaveLength(1);
  });

  it('ignores progress and outcomes of a command that is no longer running', () => {
    const s = run(start(), type('repair'), { type: 'submit' });
    const p = reduce(s, { type: 'progress', id: 1, progress: { rangesDone: 1, ranges: 4, keysStreamed: 0 } });
    expect(p.running?.progress).toEqual({ rangesDone: 1, ranges: 4, keysStreamed: 0 });
    expect(reduce(p, { type: 'finished', id: 7, outcome: { kind: 'cancelled' } })).toBe(p);
  });

  it('keeps topology counts and keyspace names', () => {
    const s = run(
      start(),
      { type: 'topology', topology: { up: 2, down: 1 } },
      { type: 'keyspaces', names: ['default', 'users'] },
    );
    expect(s.topology).toEqual({ up: 2, down: 1 });
    expect(s.keyspaceNames).toEqual(['default', 'users']);
  });
});

describe('reduce: history', () => {
  const withHistory = () => start(['put a 1', 'get a']);

  it('walks back and forth and restores the draft', () => {
    let s = run(withHistory(), type('sta'));
    s = reduce(s, { type: 'history-prev' });
    expect(s.line).toBe('get a');
    s = reduce(s, { type: 'history-prev' });
    expect(s.line).toBe('put a 1');
    s = reduce(s, { type: 'history-prev' });
    expect(s.line).toBe('put a 1');
    s = reduce(s, { type: 'history-next' });
    expect(s.line).toBe('get a');
    s = reduce(s, { type: 'history-next' });
    expect(s).toMatchObject({ line: 'sta', cursor: 3, historyIndex: undefined });
  });

  it('does nothing without history', () => {
    expect(reduce(start(), { type: 'history-prev' }).line).toBe('');
  });
});

describe('reduce: Ctrl-C and Ctrl-D', () => {
  it('marks a running command as cancelling', () => {
    const s = run(start(), type('status'), { type: 'submit' }, { type: 'interrupt' });
    expect(s.running?.cancelling).toBe(true);
    expect(s.exiting).toBe(false);
  });

  it('clears a line first, then exits on a second Ctrl-C at an empty line', () => {
    let s = run(start(), type('put a'), { type: 'interrupt' });
    expect(s).toMatchObject({ line: '', exitArmed: false, exiting: false });
    s = reduce(s, { type: 'interrupt' });
    expect(s).toMatchObject({ exitArmed: true, exiting: false });
    s = reduce(s, { type: 'interrupt' });
    expect(s.exiting).toBe(true);
  });

  it('disarms exit when the user types', () => {
    const s = run(start(), { type: 'interrupt' }, type('g'), { type: 'backspace' }, { type: 'interrupt' });
    expect(s.exiting).toBe(false);
    expect(s.exitArmed).toBe(true);
  });

  it('exits on Ctrl-D at an empty line, deletes forward otherwise', () => {
    expect(reduce(start(), { type: 'eof' }).exiting).toBe(true);
    const s = run(start(), type('get ab'), { type: 'cursor-left' }, { type: 'eof' });
    expect(s).toMatchObject({ line: 'get a', exiting: false });
  });
});

describe('reduce: completion', () => {
  it('completes through the registry', () => {
    const s = run(start(), { type: 'keyspaces', names: ['default', 'users'] }, type('use u'), {
      type: 'complete',
    });
    expect(s.line).toBe('use users ');
    const t = run(start(), type('get a q'), { type: 'complete' });
    expect(t.line).toBe('get a QUORUM ');
  });

  it('lists candidates when several fit', () => {
    const s = run(start(), type('get a local'), { type: 'complete' });
    expect(s.line).toBe('get a LOCAL_');
    expect(s.candidates).toEqual(['LOCAL_ONE', 'LOCAL_QUORUM']);
    expect(reduce(s, type('O')).candidates).toEqual([]);
  });
});
