import { describe, expect, it } from 'vitest';
import { usageLine } from '../../../src/cli/base-command.js';

// oclif 4's messages, as its parser throws them.
describe('usageLine', () => {
  it('keeps the reason oclif puts on the line after "Parsing --flag"', () => {
    expect(
      usageLine(
        'Parsing --rate \n\tExpected an integer greater than or equal to 1 but received: 0\nSee more help with --help',
      ),
    ).toBe('Parsing --rate: Expected an integer greater than or equal to 1 but received: 0');
  });

  it('names the missing arguments and drops the notes on flag order', () => {
    expect(
      usageLine(
        'Missing 2 required args:\nkey    the key (UTF-8)\nvalue  the value\nNote: --node allows multiple values. Because of this you need to provide all arguments before providing that flag.\nAlternatively, you can use "--" to signify the end of the flags and the beginning of arguments.\nSee more help with --help',
      ),
    ).toBe('Missing 2 required args: key, value');
  });

  it('keeps the reasons of a failed flag validation, not its heading', () => {
    expect(
      usageLine(
        'The following error occurred:\n  --pr=true cannot also be provided when using --all-ranges\nSee more help with --help',
      ),
    ).toBe('--pr=true cannot also be provided when using --all-ranges');
  });

  it('leaves a one-line message as it is', () => {
    expect(usageLine('Nonexistent flag: --nope\nSee more help with --help')).toBe('Nonexistent flag: --nope');
    expect(usageLine('Expected --cl=z to be one of: a, b')).toBe('Expected --cl=z to be one of: a, b');
  });
});
