import { describe, expect, it } from 'vitest';
import type { ReadResult } from '../../../src/client/api.js';
import { readDocument, shownRead } from '../../../src/client/values.js';

const read = (value?: Uint8Array): ReadResult => ({
  key: 'k',
  keyspace: 'default',
  cl: 'QUORUM',
  found: value !== undefined,
  ...(value !== undefined ? { value, timestamp: 1700000000000000 } : {}),
  coordinator: 'n1',
  replicas: ['n1', 'n2'],
  repaired: [],
});

describe('a read as CLI.md shows it', () => {
  it('gives UTF-8 as text and other bytes as base64, in the fields order of get --json', () => {
    expect(JSON.stringify(shownRead(read(Buffer.from('héllo'))))).toBe(
      '{"key":"k","keyspace":"default","cl":"QUORUM","found":true,"value":"héllo","valueEncoding":"utf8",' +
        '"timestamp":1700000000000000,"coordinator":"n1","replicas":["n1","n2"],"repaired":[]}',
    );
    expect(shownRead(read(new Uint8Array([0xff, 0x00])))).toMatchObject({
      value: '/wA=',
      valueEncoding: 'base64',
    });
    expect(shownRead(read(new Uint8Array()))).toMatchObject({
      found: true,
      value: '',
      valueEncoding: 'utf8',
    });
  });

  it('has no value fields for a key not found', () => {
    expect(JSON.stringify(shownRead(read()))).toBe(
      '{"key":"k","keyspace":"default","cl":"QUORUM","found":false,"coordinator":"n1","replicas":["n1","n2"],"repaired":[]}',
    );
  });

  it('prints every field of get --json, null where a key not found has none', () => {
    expect(JSON.stringify(readDocument(shownRead(read())))).toBe(
      '{"key":"k","keyspace":"default","cl":"QUORUM","found":false,"value":null,"timestamp":null,' +
        '"coordinator":"n1","replicas":["n1","n2"],"repaired":[]}',
    );
    const found = shownRead(read(Buffer.from('v')));
    expect(readDocument(found)).toEqual(found);
  });
});
