import { describe, expect, it } from 'vitest';
import { parseReplication } from '../../../src/cli/replication-flags.js';
import { errorOf } from '../../support/errors.js';

describe('parseReplication (keyspace create)', () => {
  it('reads --rf as simple and --dc DC:N,DC:N as network', () => {
    expect(parseReplication(3, undefined)).toEqual({ strategy: 'simple', rf: 3 });
    expect(parseReplication(undefined, ['dc1:3,dc2:2'])).toEqual({
      strategy: 'network',
      dcs: { dc1: 3, dc2: 2 },
    });
    expect(parseReplication(undefined, ['dc1:3', 'dc2:0'])).toEqual({
      strategy: 'network',
      dcs: { dc1: 3, dc2: 0 },
    });
  });

  it('refuses both, neither, a malformed DC and a replication with no replica at all', () => {
    expect(errorOf(() => parseReplication(3, ['dc1:3'])).message).toBe(
      'give either --rf N or --dc DC:N,DC:N',
    );
    expect(errorOf(() => parseReplication(undefined, undefined)).code).toBe('USAGE');
    expect(errorOf(() => parseReplication(undefined, ['dc1=3'])).message).toBe('--dc "dc1=3" is not DC:N');
    expect(errorOf(() => parseReplication(undefined, ['dc1:0,dc2:0'])).message).toBe(
      '--dc places no replica: give a DC at least 1',
    );
  });
});
