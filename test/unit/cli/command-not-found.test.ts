import { describe, expect, it } from 'vitest';
import { notFound } from '../../../src/hooks/command-not-found.js';

const IDS = [
  'get',
  'put',
  'status',
  'hints',
  'hints:list',
  'hints:truncate',
  'keyspace:create',
  'keyspace:list',
];
const message = (typed: string) => notFound(typed.split(' '), IDS).message;

describe('a command oclif does not know', () => {
  it('is a usage error that suggests what a typo meant, topics included', () => {
    expect(notFound(['gte', 'k'], IDS).code).toBe('USAGE');
    expect(message('gte k')).toBe('unknown command "gte": did you mean "ringkv get"?');
    expect(message('keyspace creat ks')).toBe(
      'unknown command "keyspace creat": did you mean "ringkv keyspace create"?',
    );
    expect(message('hints trunc')).toBe(
      'unknown command "hints trunc": did you mean "ringkv hints truncate"?',
    );
  });

  it('names an argument a command does not take, which oclif reads as a subcommand', () => {
    expect(message('hints truncate 5ff1c9fd')).toBe(
      'unexpected argument "5ff1c9fd" for "ringkv hints truncate" (see ringkv hints truncate --help)',
    );
    expect(message('hints everything')).toBe(
      'unexpected argument "everything" for "ringkv hints" (see ringkv hints --help)',
    );
  });

  it('points at the list when nothing is close', () => {
    expect(message('launch')).toBe('unknown command "launch": "ringkv --help" lists the commands');
  });
});
