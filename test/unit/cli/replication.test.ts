import { describe, expect, it } from 'vitest';
import { parseReplication } from '../../../src/cli/replication-flags.js';
import { parseReplicationWord } from '../../../src/protocol/consistency.js';
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
    expect(errorOf(() => parseReplication(undefined, ['dc1:17'])).message).toBe(
      '--dc "dc1:17": at most 16 replicas per data center',
    );
  });
});

describe("parseReplicationWord (the REPL's create and alter)", () => {
  it('reads N as simple and DC:N,DC:N as network', () => {
    expect(parseReplicationWord('2')).toEqual({ strategy: 'simple', rf: 2 });
    expect(parseReplicationWord('dc1:2,dc2:1')).toEqual({ strategy: 'network', dcs: { dc1: 2, dc2: 1 } });
  });

  it('says what a replication looks like when the word is none', () => {
    expect(errorOf(() => parseReplicationWord('0')).message).toBe('RF 0 is out of range: give 1 to 16');
    expect(errorOf(() => parseReplicationWord('17')).code).toBe('USAGE');
    expect(errorOf(() => parseReplicationWord('three')).message).toBe(
      '"three" is not a replication: give an RF such as 3, or replicas per data center such as dc1:2,dc2:1',
    );
    expect(errorOf(() => parseReplicationWord('dc1:x')).message).toBe('replication "dc1:x" is not DC:N');
  });
});
