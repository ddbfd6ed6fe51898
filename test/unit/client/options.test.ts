import { describe, expect, it } from 'vitest';
import { parseContactPoints, parseSpeculativeRetry } from '../../../src/client/options.js';
import { errorOf } from '../../support/errors.js';

describe('parseContactPoints', () => {
  it('takes repeated and comma-separated values, and a bare string as oclif gives from the environment', () => {
    expect(parseContactPoints(['ws://a:1,ws://b:2', ' ws://c:3 '])).toEqual([
      'ws://a:1',
      'ws://b:2',
      'ws://c:3',
    ]);
    expect(parseContactPoints('ws://a:1,ws://b:2')).toEqual(['ws://a:1', 'ws://b:2']);
  });

  it('names the flag the values came from', () => {
    expect(errorOf(() => parseContactPoints(['nonsense'])).message).toBe(
      '--node "nonsense" is not ws://HOST:PORT',
    );
    expect(errorOf(() => parseContactPoints(['ws://a:1/x'], '--seeds')).message).toBe(
      '--seeds "ws://a:1/x" is not ws://HOST:PORT',
    );
    expect(errorOf(() => parseContactPoints([' , '], '--seeds')).message).toBe(
      '--seeds needs at least one ws://HOST:PORT',
    );
    expect(errorOf(() => parseContactPoints('')).code).toBe('USAGE');
  });

  it('refuses an address no node can have before dialling it', () => {
    const problem = (p: string) => errorOf(() => parseContactPoints([p])).message;
    expect(problem('ws://127.0.0.1:99999')).toBe(
      '--node "ws://127.0.0.1:99999" has no valid port: use 1-65535',
    );
    expect(problem('ws://127.0.0.1:0')).toBe('--node "ws://127.0.0.1:0" has no valid port: use 1-65535');
    expect(problem('ws://256.1.1.1:1')).toBe('--node "ws://256.1.1.1:1" has no valid host');
    // ws:// alone would mean port 80.
    expect(problem('ws://127.0.0.1')).toBe('--node "ws://127.0.0.1" has no port: give ws://HOST:PORT');
    expect(problem('wss://127.0.0.1:7400')).toBe(
      '--node "wss://127.0.0.1:7400" is not ws://HOST:PORT: nodes speak plain ws (no TLS)',
    );
    expect(parseContactPoints(['ws://[::1]:7400', 'WS://Node-1.example:80'])).toEqual([
      'ws://[::1]:7400',
      'WS://Node-1.example:80',
    ]);
  });
});

describe('parseSpeculativeRetry', () => {
  it('reads a percentile, a fixed delay or never', () => {
    expect(parseSpeculativeRetry('99p')).toEqual({ kind: 'percentile', p: 99 });
    expect(parseSpeculativeRetry('99.9P')).toEqual({ kind: 'percentile', p: 99.9 });
    expect(parseSpeculativeRetry('15ms')).toEqual({ kind: 'fixed', ms: 15 });
    expect(parseSpeculativeRetry('never')).toEqual({ kind: 'never' });
    expect(errorOf(() => parseSpeculativeRetry('soon')).code).toBe('USAGE');
  });

  it('refuses what a node would refuse, as a usage error', () => {
    expect(parseSpeculativeRetry('60000ms')).toEqual({ kind: 'fixed', ms: 60_000 });
    expect(errorOf(() => parseSpeculativeRetry('99999999999ms')).message).toBe(
      '--speculative-retry "99999999999ms" is not a percentile above 0 (99p), a time up to 60000ms, or never',
    );
    expect(errorOf(() => parseSpeculativeRetry('0p')).code).toBe('USAGE');
  });
});
