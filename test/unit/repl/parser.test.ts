import { describe, expect, it } from 'vitest';
import { parseCommand, splitStatements, tokenize } from '../../../src/repl/parser.js';
import type { Command } from '../../../src/repl/commands.js';

function command(line: string): Command {
  const r = parseCommand(line);
  if (r.kind !== 'command') throw new Error(`expected a command from ${line}, got ${JSON.stringify(r)}`);
  return r.command;
}

function errorOf(line: string): string {
  const r = parseCommand(line);
  if (r.kind !== 'error') throw new Error(`expected an error from ${line}`);
  expect(r.error.code).toBe('USAGE');
  return r.error.message;
}

describe('tokenize', () => {
  it('splits on spaces and keeps quoted words whole', () => {
    expect(tokenize(`put "my key"  'a value'`).tokens.map((t) => t.text)).toEqual([
      'put',
      'my key',
      'a value',
    ]);
  });

  it('unescapes inside double quotes and keeps single quotes literal', () => {
    expect(tokenize(`"say \\"hi\\"" 'a\\b'`).tokens.map((t) => t.text)).toEqual(['say "hi"', 'a\\b']);
  });

  it('joins a quoted part with the text around it', () => {
    expect(tokenize(`ab"c d"e`).tokens.map((t) => t.text)).toEqual(['abc de']);
  });

  it('reports a quote left open', () => {
    expect(tokenize(`put "k`).openQuote).toBe('"');
  });
});

describe('parseCommand', () => {
  it('parses put with the session CL', () => {
    expect(command('put a 1')).toEqual({ name: 'put', key: 'a', value: '1', cl: undefined });
  });

  it('takes a trailing word as the CL, case-insensitively', () => {
    expect(command('put a 1 quorum')).toEqual({ name: 'put', key: 'a', value: '1', cl: 'QUORUM' });
    expect(command('get a Local_Quorum')).toEqual({ name: 'get', key: 'a', cl: 'LOCAL_QUORUM' });
  });

  it('takes the CL from --cl, before or after the words, and as --cl=X', () => {
    expect(command('get --cl all a')).toEqual({ name: 'get', key: 'a', cl: 'ALL' });
    expect(command('del a --cl=two')).toEqual({ name: 'del', key: 'a', cl: 'TWO' });
  });

  it('refuses a CL given twice', () => {
    expect(errorOf('get a one --cl two')).toContain('once');
  });

  it('lists the valid levels for a bad CL', () => {
    const message = errorOf('get a most');
    expect(message).toContain('unknown consistency level "most"');
    expect(message).toContain('quorum');
    expect(message).toContain('each_quorum');
    expect(errorOf('consistency lots')).toContain('local_one');
  });

  it('suggests the level a typo meant', () => {
    expect(errorOf('get a quorom')).toBe('unknown consistency level "quorom": did you mean QUORUM?');
    expect(errorOf('put a 1 --cl loacl_one')).toContain('did you mean LOCAL_ONE?');
    expect(errorOf('consistency al')).toContain('did you mean ALL?');
  });

  it('keeps a word that looks like a CL as a value when it fills a slot', () => {
    expect(command('put a one')).toEqual({ name: 'put', key: 'a', value: 'one', cl: undefined });
    expect(command('get quorum')).toEqual({ name: 'get', key: 'quorum', cl: undefined });
  });

  it('never takes a quoted word as a CL or a flag', () => {
    expect(errorOf('get a "one"')).toContain('too many arguments');
    expect(command(`put "--cl" 'x y'`)).toEqual({ name: 'put', key: '--cl', value: 'x y', cl: undefined });
    expect(command('put -- --pr v')).toEqual({ name: 'put', key: '--pr', value: 'v', cl: undefined });
  });

  it('reads quoted keys and values with spaces', () => {
    expect(command(`put "user 1" 'hello world' ONE`)).toEqual({
      name: 'put',
      key: 'user 1',
      value: 'hello world',
      cl: 'ONE',
    });
  });

  it('says what is missing, with the usage', () => {
    expect(errorOf('put a')).toBe('missing VALUE: usage: put KEY VALUE [CL]');
    expect(errorOf('endpoints')).toContain('missing KEY');
  });

  it('refuses extra words and unknown flags', () => {
    expect(errorOf('status now')).toContain('too many arguments');
    expect(errorOf('repair --fast')).toContain('repair has no flag --fast');
    expect(errorOf('get a --pr')).toContain('get has no flag --pr');
  });

  it('suggests the closest command for an unknown one', () => {
    expect(errorOf('pt a 1')).toBe('unknown command "pt": did you mean "put"?');
    expect(errorOf('stauts')).toContain('did you mean "status"?');
    // One edit from both status and stats: a word cut short is the likelier typo.
    expect(errorOf('statu')).toContain('did you mean "status"?');
    expect(errorOf('stat')).toContain('did you mean "status"?');
    expect(errorOf('stas')).toContain('did you mean "stats"?');
    expect(errorOf('endpoint a')).toContain('did you mean "endpoints"?');
    expect(errorOf('xyzzyq')).toContain('type help');
  });

  it('refuses a pasted megabyte word at once, quoting only its start', () => {
    // The search for what a typo meant compares every character: 30 s for a megabyte.
    const word = 'z'.repeat(1024 * 1024);
    const began = performance.now();
    expect(errorOf(word)).toBe(`unknown command "${'z'.repeat(40)}…": type help to list the commands`);
    expect(errorOf(`put k some ${word}`)).toMatch(/^unknown consistency level "z{40}…": use one of /);
    expect(errorOf(`get k --cl ${word}`)).toMatch(/^unknown consistency level "z{40}…": use one of /);
    expect(errorOf(`get k --${word}`)).toMatch(/^get has no flag --z{38}…: usage: /);
    expect(performance.now() - began).toBeLessThan(2000);
  });

  it('keeps a megabyte value whole, quoted or not, escapes and all', () => {
    // Inside "...", \" is a quote, and a ; is part of the value.
    const raw = 'a\\"b;c '.repeat(100_000);
    expect(command(`put k "${raw}"`)).toEqual({
      name: 'put',
      key: 'k',
      value: 'a"b;c '.repeat(100_000),
      cl: undefined,
    });
    expect(splitStatements(`put k "${raw}"; get k`)).toEqual([`put k "${raw}"`, 'get k']);
    const plain = 'z'.repeat(1024 * 1024);
    expect(command(`put k ${plain} quorum`)).toEqual({ name: 'put', key: 'k', value: plain, cl: 'QUORUM' });
  });

  it('accepts command names in any case, and aliases', () => {
    expect(command('GET a')).toEqual({ name: 'get', key: 'a', cl: undefined });
    expect(command('quit')).toEqual({ name: 'exit' });
    expect(command('trace on')).toEqual({ name: 'tracing', on: true });
  });

  it('parses session commands', () => {
    expect(command('consistency')).toEqual({ name: 'consistency', cl: undefined });
    expect(command('consistency each_quorum')).toEqual({ name: 'consistency', cl: 'EACH_QUORUM' });
    expect(command('tracing ON')).toEqual({ name: 'tracing', on: true });
    expect(command('tracing off')).toEqual({ name: 'tracing', on: false });
    expect(errorOf('tracing maybe')).toContain('on or off');
    expect(command('use users')).toEqual({ name: 'use', keyspace: 'users' });
    expect(errorOf('use')).toContain('missing KEYSPACE');
  });

  it('parses create and alter with a replication as one word', () => {
    expect(command('create users 2')).toEqual({
      name: 'create',
      keyspace: 'users',
      replication: { strategy: 'simple', rf: 2 },
    });
    expect(command('alter orders dc1:2,dc2:1')).toEqual({
      name: 'alter',
      keyspace: 'orders',
      replication: { strategy: 'network', dcs: { dc1: 2, dc2: 1 } },
    });
    expect(errorOf('create users')).toContain('missing REPLICATION');
    expect(errorOf('create 1users 2')).toContain('keyspace name "1users" is not valid');
    expect(errorOf('create users three')).toBe(
      '"three" is not a replication: give an RF such as 3, or replicas per data center such as dc1:2,dc2:1',
    );
    expect(errorOf('alter users 0')).toBe('RF 0 is out of range: give 1 to 16');
  });

  it('parses ring, repair and help', () => {
    expect(command('ring')).toEqual({ name: 'ring', key: undefined });
    expect(command('ring k')).toEqual({ name: 'ring', key: 'k' });
    expect(command('repair')).toEqual({
      name: 'repair',
      keyspace: undefined,
      primaryRangeOnly: false,
      full: false,
    });
    expect(command('repair --pr users')).toEqual({
      name: 'repair',
      keyspace: 'users',
      primaryRangeOnly: true,
      full: false,
    });
    expect(command('help get')).toEqual({ name: 'help', command: 'get' });
    expect(errorOf('help gte')).toContain('did you mean "get"?');
  });

  it('parses cleanup with or without a keyspace', () => {
    expect(command('cleanup')).toEqual({ name: 'cleanup', keyspace: undefined });
    expect(command('cleanup users')).toEqual({ name: 'cleanup', keyspace: 'users' });
    expect(errorOf('cleanup users more')).toContain('cleanup');
    expect(errorOf('cleanu')).toContain('did you mean "cleanup"?');
  });

  it('treats blank lines as nothing and an open quote as an error', () => {
    expect(parseCommand('   ')).toEqual({ kind: 'empty' });
    expect(errorOf(`put "a 1`)).toBe('unterminated " quote');
  });
});

describe('splitStatements', () => {
  it('splits on semicolons and lines, outside quotes', () => {
    expect(splitStatements(`put a "1;2"; get a QUORUM\nstatus;;`)).toEqual([
      'put a "1;2"',
      'get a QUORUM',
      'status',
    ]);
  });

  it('skips comment lines', () => {
    expect(splitStatements('# set up\nput a 1\n  # more\nget a # not a comment')).toEqual([
      'put a 1',
      'get a # not a comment',
    ]);
  });
});
