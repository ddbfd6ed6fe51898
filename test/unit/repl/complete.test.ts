import { describe, expect, it } from 'vitest';
import { candidatesAt, completeLine } from '../../../src/repl/complete.js';

const ctx = { keyspaces: ['default', 'users', 'events'] };
const at = (line: string) => candidatesAt(line, line.length, ctx).candidates;
const complete = (line: string) => completeLine(line, line.length, ctx);

describe('completion', () => {
  it('completes command names', () => {
    expect(at('')).toContain('put');
    expect(at('re')).toEqual(['repair']);
    expect(complete('statu')).toEqual({ line: 'status ', cursor: 7, candidates: [] });
    expect(complete('sta')).toEqual({ line: 'stat', cursor: 4, candidates: ['status', 'stats'] });
    expect(at('e')).toEqual(['endpoints', 'exit']);
  });

  it('offers CL names where a CL fits, case-insensitively', () => {
    expect(at('get a ')).toHaveLength(9);
    expect(at('get a lo')).toEqual(['LOCAL_ONE', 'LOCAL_QUORUM']);
    expect(at('put a 1 AL')).toEqual(['ALL']);
    expect(at('consistency Q')).toEqual(['QUORUM']);
    expect(at('get --cl ')).toContain('EACH_QUORUM');
  });

  it('offers nothing for keys and values', () => {
    expect(at('get ')).toEqual([]);
    expect(at('put a ')).toEqual([]);
    expect(at('put "a b')).toEqual([]);
  });

  it('offers keyspaces, commands and on/off', () => {
    expect(at('use ')).toEqual(['default', 'users', 'events']);
    expect(at('help rin')).toEqual(['ring']);
    expect(at('tracing o')).toEqual(['on', 'off']);
    // alter takes a keyspace that exists; create a new name, which is never guessed.
    expect(at('alter u')).toEqual(['users']);
    expect(at('create ')).toEqual([]);
    expect(at('alter users ')).toEqual([]);
  });

  it('offers flags after a dash, not ones already given', () => {
    expect(at('repair --')).toEqual(['--pr', '--full']);
    expect(at('repair --pr --')).toEqual(['--full']);
    expect(at('get a --')).toEqual(['--cl']);
    expect(at('repair ')).toEqual(['default', 'users', 'events', '--pr', '--full']);
  });

  it('counts --cl and its value as no positional word', () => {
    expect(at('put --cl one a b ')).toContain('QUORUM');
  });

  it('extends to the common prefix of several fits and keeps the rest of the line', () => {
    expect(complete('get a each')).toEqual({ line: 'get a EACH_QUORUM ', cursor: 18, candidates: [] });
    expect(complete('get a local')).toEqual({
      line: 'get a LOCAL_',
      cursor: 12,
      candidates: ['LOCAL_ONE', 'LOCAL_QUORUM'],
    });
    expect(completeLine('us x', 2, ctx)).toEqual({ line: 'use  x', cursor: 4, candidates: [] });
  });

  it('leaves an unknown command alone', () => {
    expect(complete('frob ')).toEqual({ line: 'frob ', cursor: 5, candidates: [] });
  });
});
