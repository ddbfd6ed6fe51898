import { describe, expect, it } from 'vitest';
import { charsFor, cursorWindow, promptView, shortened } from '../../../src/repl/long-line.js';

describe('cursorWindow', () => {
  it('shows all of a line that fits', () => {
    expect(cursorWindow('put a 1', 7, 20)).toEqual({ start: 0, end: 7 });
  });

  it('shows the end of a long line with the cursor after it, as after a paste', () => {
    const line = 'z'.repeat(1000);
    // The cursor cell past the last character is one of the 100 shown.
    expect(cursorWindow(line, 1000, 100)).toEqual({ start: 901, end: 1000 });
  });

  it('centres the cursor inside a long line, and stops at either end', () => {
    const line = 'z'.repeat(1000);
    expect(cursorWindow(line, 500, 100)).toEqual({ start: 450, end: 550 });
    expect(cursorWindow(line, 10, 100)).toEqual({ start: 0, end: 100 });
  });

  it('never cuts a character outside the basic plane in two', () => {
    const line = '😀'.repeat(100); // 200 UTF-16 units
    const { start, end } = cursorWindow(line, 101, 51);
    expect(start % 2).toBe(0);
    expect(end % 2).toBe(0);
    expect(line.slice(start, end)).toMatch(/^(😀)+$/u);
  });
});

describe('shortened', () => {
  it('leaves a short text alone and cuts a long one to its start', () => {
    expect(shortened('put a 1', 10)).toBeUndefined();
    expect(shortened(`put a ${'z'.repeat(100)}`, 10)).toBe('put a zzzz');
    expect(shortened('a😀', 2)).toBe('a');
  });
});

describe('charsFor', () => {
  it('fits rows of the width after a prefix, leaving room for the note', () => {
    expect(charsFor(3, 80, 16)).toBe(3 * 80 - 16 - 24);
    expect(charsFor(3, 10, 16)).toBe(20);
  });
});

describe('promptView', () => {
  it('splits the window at the cursor and says what was cut', () => {
    expect(promptView('get a', 1, 20)).toEqual({
      before: 'g',
      atCursor: 'e',
      after: 't a',
      cutStart: false,
      cutEnd: false,
      length: 5,
    });
    const line = `put p ${'z'.repeat(994)}`;
    expect(promptView(line, 3, 10)).toEqual({
      before: 'put',
      atCursor: ' ',
      after: 'p zzzz',
      cutStart: false,
      cutEnd: true,
      length: 1000,
    });
    expect(promptView(line, 1000, 10)).toMatchObject({
      before: 'z'.repeat(9),
      atCursor: ' ',
      cutStart: true,
    });
  });
});
