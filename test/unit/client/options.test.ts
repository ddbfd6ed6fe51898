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
});

describe('parseSpeculativeRetry', () => {
  it('reads a percentile, a fixed delay or never', () => {
    expect(parseSpeculativeRetry('99p')).toEqual({ kind: 'percentile', p: 99 });
    expect(parseSpeculativeRetry('99.9P')).toEqual({ kind: 'percentile', p: 99.9 });
    expect(parseSpeculativeRetry('15ms')).toEqual({ kind: 'fixed', ms: 15 });
    expect(parseSpeculativeRetry('never')).toEqual({ kind: 'never' });
    expect(errorOf(() => parseSpeculativeRetry('soon')).code).toBe('USAGE');
  });
});
