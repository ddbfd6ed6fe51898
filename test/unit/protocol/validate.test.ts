import { describe, expect, it } from 'vitest';
import { keyspaceNameProblem, locationNameProblem } from '../../../src/protocol/limits.js';
import { parseMessage, parseRequestBody, parseResult } from '../../../src/protocol/validate.js';
import { errorOf } from '../../support/errors.js';

describe('parseMessage', () => {
  it('accepts each message type', () => {
    const nonce = new Uint8Array(32);
    expect(parseMessage({ type: 'challenge', version: 1, cluster: 'c', hostId: 'h', nonce }).type).toBe(
      'challenge',
    );
    expect(parseMessage({ type: 'hello', version: 1, role: 'client', cluster: 'c', nonce }).type).toBe(
      'hello',
    );
    expect(parseMessage({ type: 'welcome', hostId: 'h' }).type).toBe('welcome');
    expect(parseMessage({ type: 'req', id: 1, op: 'read', body: {} }).type).toBe('req');
    expect(parseMessage({ type: 'res', id: 1, ok: true, result: 5 }).type).toBe('res');
    expect(parseMessage({ type: 'event', event: 'x', body: null }).type).toBe('event');
    expect(parseMessage({ type: 'error', error: { code: 'UNAUTHORIZED', message: 'no' } }).type).toBe(
      'error',
    );
  });

  it('names what is wrong with a malformed message', () => {
    const notMap = errorOf(() => parseMessage([1, 2]));
    expect(notMap.code).toBe('PROTOCOL_ERROR');
    expect(errorOf(() => parseMessage({ type: 'gossip' })).message).toBe('unknown message type "gossip"');
    expect(errorOf(() => parseMessage({ type: 7 })).message).toBe('unknown message type number');
    const badId = errorOf(() => parseMessage({ type: 'req', id: -1, op: 'read', body: {} }));
    expect(badId.code).toBe('PROTOCOL_ERROR');
    expect(badId.message).toMatch(/^invalid req message: id: /);
    const badRes = errorOf(() =>
      parseMessage({ type: 'res', id: 1, ok: false, error: { code: 'NOPE', message: '' } }),
    );
    expect(badRes.code).toBe('PROTOCOL_ERROR');
  });
});

describe('parseRequestBody', () => {
  const read = { keyspace: 'default', key: new Uint8Array([1]), cl: 'ONE' };

  it('returns the typed body of a known operation', () => {
    const body = parseRequestBody('read', read);
    expect(body.cl).toBe('ONE');
  });

  it('rejects an unknown operation as INVALID_REQUEST', () => {
    const e = errorOf(() => parseRequestBody('drop_everything', {}));
    expect(e.code).toBe('INVALID_REQUEST');
    expect(e.message).toBe('unknown operation drop_everything');
  });

  it('rejects a body that does not match its operation as INVALID_REQUEST', () => {
    const e = errorOf(() => parseRequestBody('read', { ...read, cl: 'MOST' }));
    expect(e.code).toBe('INVALID_REQUEST');
    expect(e.message).toMatch(/^invalid read request: cl: /);
    expect(errorOf(() => parseRequestBody('toString', {})).code).toBe('INVALID_REQUEST');
  });
});

describe('parseResult', () => {
  it('checks a node answer against the result schema', () => {
    expect(parseResult('stop', { hostId: 'n1' })).toEqual({ hostId: 'n1' });
    const e = errorOf(() => parseResult('stop', { host: 'n1' }));
    expect(e.code).toBe('PROTOCOL_ERROR');
    expect(e.message).toMatch(/^invalid stop result: hostId/);
  });
});

describe('keyspaceNameProblem', () => {
  it('accepts what the protocol accepts, and says what is wrong with the rest', () => {
    for (const ok of ['default', 'users', 'a', 'A_1', 'x'.repeat(48)])
      expect(keyspaceNameProblem(ok)).toBeUndefined();
    for (const bad of ['', 'ks-1', '1ks', '_ks', 'ks.x', 'kš', 'x'.repeat(49)]) {
      expect(keyspaceNameProblem(bad)).toMatch(/^keyspace name ".*" is not valid: use letters, digits and _/);
      // The CLI's check and the wire schema agree.
      expect(() => parseRequestBody('read', { keyspace: bad, key: new Uint8Array(1), cl: 'ONE' })).toThrow();
    }
  });
});

describe('locationNameProblem', () => {
  it('takes what gossip takes and keyspace create --dc DC:N can name', () => {
    for (const ok of ['dc1', 'us-east-1', 'rack_2', 'd'.repeat(64)])
      expect(locationNameProblem('rack', ok)).toBeUndefined();
    for (const bad of ['', 'dc 1', 'a:b', 'a,b', 'd'.repeat(65)]) {
      expect(locationNameProblem('data center', bad)).toMatch(
        /^data center name ".*" is not valid: use 1 to 64/,
      );
    }
  });
});
