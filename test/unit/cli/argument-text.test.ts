import { describe, expect, it } from 'vitest';
import { argumentTextProblem } from '../../../src/cli/data-flags.js';

describe('keys and values from the command line', () => {
  it('takes any UTF-8 text, an empty value, and refuses an empty key', () => {
    expect(argumentTextProblem('user:1', 'key')).toBeUndefined();
    expect(argumentTextProblem('日本 😀', 'key')).toBeUndefined();
    expect(argumentTextProblem('', 'value')).toBeUndefined();
    expect(argumentTextProblem('', 'key')).toBe('the key is empty: a key has at least one byte');
  });

  it('refuses text in which bytes that were not UTF-8 became U+FFFD, as two keys would become one', () => {
    // $'\xff' and $'\xfe' both arrive as "\uFFFD".
    const fromShell = Buffer.from([0x6b, 0xff]).toString('utf8');
    expect(fromShell).toBe(Buffer.from([0x6b, 0xfe]).toString('utf8'));
    expect(argumentTextProblem(fromShell, 'key')).toMatch(/^the key is not UTF-8 text/);
    expect(argumentTextProblem(fromShell, 'value')).toMatch(/: give bytes with --value-file$/);
  });
});
