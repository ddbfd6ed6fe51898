import { describe, expect, it } from 'vitest';
import { unknownFlags } from '../../../src/cli/base-command.js';

const flags = [
  ['keyspace', {}],
  ['cl', {}],
  ['cluster-name', {}],
  ['coordination', {}],
  ['timeout', {}],
  ['join', { allowNo: true }],
  ['json', {}],
  ['node', { char: 'n' }],
] as const;

const message = (...typed: string[]) => unknownFlags(typed, flags, 'keyspace:create').message;

describe('unknownFlags', () => {
  it('names the flag a typo most likely meant, and where the flags are listed', () => {
    expect(message('--keyspce')).toBe(
      'unknown flag --keyspce (did you mean --keyspace?): ringkv keyspace create --help lists its flags',
    );
    expect(message('--tiemout=5')).toContain('--tiemout=5 (did you mean --timeout?)');
    expect(message('--no-jion')).toContain('(did you mean --no-join?)');
  });

  it('reads a one-letter flag as its char, or as the one flag starting with it', () => {
    expect(message('-n')).toContain('-n (did you mean --node?)');
    expect(message('-k')).toContain('-k (did you mean --keyspace?)');
    // cl, cluster-name and coordination: no guess.
    expect(message('-c')).toBe('unknown flag -c: ringkv keyspace create --help lists its flags');
  });

  it('gives no suggestion for a word that is not close to any flag, and lists several', () => {
    expect(message('--zzzz')).toBe('unknown flag --zzzz: ringkv keyspace create --help lists its flags');
    expect(message('--keyspce', '--zzzz')).toBe(
      'unknown flags --keyspce (did you mean --keyspace?), --zzzz: ringkv keyspace create --help lists its flags',
    );
    expect(unknownFlags(['--x'], flags, undefined).code).toBe('USAGE');
  });
});
