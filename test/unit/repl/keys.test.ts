import { describe, expect, it } from 'vitest';
import { actionsForText } from '../../../src/repl/keys.js';
import { initialState, reduce } from '../../../src/repl/session.js';

describe('keys typed faster than the REPL reads them', () => {
  it('splits editing keys out of the text instead of inserting them', () => {
    expect(actionsForText('con\tl\t')).toEqual([
      { type: 'insert', text: 'con' },
      { type: 'complete' },
      { type: 'insert', text: 'l' },
      { type: 'complete' },
    ]);
    expect(actionsForText('oops\x15status\x7f')).toEqual([
      { type: 'insert', text: 'oops' },
      { type: 'kill-line' },
      { type: 'insert', text: 'status' },
      { type: 'backspace' },
    ]);
  });

  it('clears the screen on Ctrl-L in a burst', () => {
    expect(actionsForText('\x0cstatus')).toEqual([
      { type: 'clear-screen' },
      { type: 'insert', text: 'status' },
    ]);
  });

  it('keeps line ends in the text and drops other control characters', () => {
    expect(actionsForText('put a 1\rget\x07 a\n')).toEqual([{ type: 'insert', text: 'put a 1\rget a\n' }]);
  });

  it('completes a CL typed in one burst with its Tab', () => {
    const state = actionsForText('get k QUO\t').reduce(
      reduce,
      initialState('127.0.0.1:7401', { cl: 'ONE', keyspace: 'default', tracing: false }),
    );
    expect(state.line).toBe('get k QUORUM ');
  });
});
