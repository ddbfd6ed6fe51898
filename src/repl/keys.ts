import type { Key } from 'ink';
import type { Action } from './session.js';

/**
 * Key presses → reducer actions. Ink hands over one keypress at a time, except that text typed
 * faster than it reads (type-ahead, a paste, keys sent by tmux) arrives as one string, control
 * characters included; those are split here so that a Tab or Ctrl-U inside such a string still
 * completes or clears instead of landing in the line.
 */

/** Control characters that mean an editing key, in the order a terminal sends them raw. */
const CONTROL_ACTIONS: Readonly<Record<string, Action>> = {
  '\t': { type: 'complete' },
  '\x7f': { type: 'backspace' },
  '\b': { type: 'backspace' },
  '\x01': { type: 'cursor-home' },
  '\x05': { type: 'cursor-end' },
  '\x15': { type: 'kill-line' },
  '\x03': { type: 'interrupt' },
  '\x04': { type: 'eof' },
  '\x0c': { type: 'clear-screen' },
};

/** Splits typed text on editing keys; line ends stay in the text, where insert enters each line. */
export function actionsForText(text: string): Action[] {
  const actions: Action[] = [];
  let run = '';
  for (const ch of text) {
    const control = CONTROL_ACTIONS[ch];
    if (control) {
      if (run !== '') actions.push({ type: 'insert', text: run });
      run = '';
      actions.push(control);
    } else if (ch === '\r' || ch === '\n' || ch >= ' ') {
      run += ch;
    }
    // Any other control character (a stray escape, Ctrl-G) is dropped, never shown in the line.
  }
  if (run !== '') actions.push({ type: 'insert', text: run });
  return actions;
}

export function actionsForKey(input: string, key: Key): Action[] {
  if (key.ctrl && input === 'c') return [{ type: 'interrupt' }];
  if (key.ctrl && input === 'd') return [{ type: 'eof' }];
  if (key.return) return [{ type: 'submit' }];
  if (key.tab) return [{ type: 'complete' }];
  if (key.upArrow) return [{ type: 'history-prev' }];
  if (key.downArrow) return [{ type: 'history-next' }];
  if (key.leftArrow) return [{ type: 'cursor-left' }];
  if (key.rightArrow) return [{ type: 'cursor-right' }];
  if (key.home || (key.ctrl && input === 'a')) return [{ type: 'cursor-home' }];
  if (key.end || (key.ctrl && input === 'e')) return [{ type: 'cursor-end' }];
  // Terminals send DEL (0x7f) for the Backspace key, which Ink names delete.
  if (key.backspace || key.delete) return [{ type: 'backspace' }];
  if (key.ctrl && input === 'u') return [{ type: 'kill-line' }];
  if (key.ctrl && input === 'l') return [{ type: 'clear-screen' }];
  if (key.ctrl || key.meta || input === '') return [];
  return actionsForText(input);
}
