import type { ClusterApi } from '../client/api.js';
import type { ConsistencyLevel } from '../protocol/consistency.js';
import type { BenchTarget } from './runner.js';

/** Drives a ringkv cluster through the client library, as an application would. */
export function ringkvTarget(client: ClusterApi, keyspace: string, cl: ConsistencyLevel): BenchTarget {
  const options = { keyspace, cl };
  return {
    write: (key, value) => client.put(key, value, options),
    read: (key) => client.get(key, options),
  };
}
