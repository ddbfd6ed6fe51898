import type { RingkvClient } from '../client/client.js';
import type { ConsistencyLevel } from '../protocol/consistency.js';
import type { BenchTarget } from './runner.js';

/** Drives a ringkv cluster through the client library, as an application would: values as bytes. */
export function ringkvTarget(
  client: Pick<RingkvClient, 'put' | 'read'>,
  keyspace: string,
  cl: ConsistencyLevel,
): BenchTarget {
  const options = { keyspace, cl };
  return {
    write: (key, value) => client.put(key, value, options),
    read: (key) => client.read(key, options),
  };
}
