import { describe, expect, it } from 'vitest';
import { RingkvError } from '../../../src/protocol/errors.js';
import { keyTokens } from '../../../src/commands/token.js';

describe('ringkv token', () => {
  it('prints the tokens Cassandra gives text keys', () => {
    expect(keyTokens(['hello', 'héllo'], false)).toEqual([
      { key: 'hello', token: '-3758069500696749310' },
      { key: 'héllo', token: keyTokens(['68c3a96c6c6f'], true)[0]!.token },
    ]);
  });

  it('refuses the keys no data can have: empty, or text that lost bytes on the command line', () => {
    const codeOf = (keys: string[], hex: boolean) => {
      try {
        keyTokens(keys, hex);
      } catch (e) {
        return [(e as RingkvError).code, (e as RingkvError).message];
      }
      return undefined;
    };
    expect(codeOf([''], false)).toEqual(['USAGE', 'the key is empty: a key has at least one byte']);
    expect(codeOf([''], true)).toEqual(['USAGE', 'the key is empty: a key has at least one byte']);
    // What the shell's $'\xff' arrives as.
    expect(codeOf(['a\uFFFD'], false)?.[1]).toMatch(/^the key is not UTF-8 text .*: give bytes with --hex$/);
  });

  it('reads keys as hex bytes with --hex, in either case', () => {
    expect(keyTokens(['0102030405060708090a0b0c0d0e0f10', 'FEFEFEFE'], true)).toEqual([
      { key: '0102030405060708090a0b0c0d0e0f10', token: '-5563837382979743776' },
      { key: 'FEFEFEFE', token: '4566408979886474012' },
    ]);
    expect(keyTokens(['68656c6c6f'], true)[0]!.token).toBe('-3758069500696749310');
  });

  it('calls bad hex a usage error', () => {
    for (const bad of ['abc', 'zz', '0x10']) {
      expect(() => keyTokens([bad], true)).toThrow(RingkvError);
      try {
        keyTokens([bad], true);
      } catch (e) {
        expect((e as RingkvError).code).toBe('USAGE');
      }
    }
  });
});
