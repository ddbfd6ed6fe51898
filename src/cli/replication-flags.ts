import { Args, Flags } from '@oclif/core';
import { parseDataCenterReplication, type Replication } from '../protocol/consistency.js';
import { MAX_REPLICATION_FACTOR } from '../protocol/limits.js';
import { usage } from './base-command.js';
import { fromArgvOnly, parseKeyspaceName } from './data-flags.js';

/** The keyspace name and replication that `keyspace create` and `keyspace alter` take alike. */
export const keyspaceArgs = {
  name: Args.string({
    required: true,
    description: 'keyspace name',
    parse: parseKeyspaceName,
    ...fromArgvOnly,
  }),
};

export const replicationFlags = {
  rf: Flags.integer({
    description: 'replication factor (simple strategy)',
    min: 1,
    max: MAX_REPLICATION_FACTOR,
  }),
  dc: Flags.string({
    description: 'replicas per data center, DC:N,DC:N (network strategy)',
    multiple: true,
  }),
};

export function parseReplication(rf: number | undefined, dcs: string[] | undefined): Replication {
  if ((rf === undefined) === (dcs === undefined)) throw usage('give either --rf N or --dc DC:N,DC:N');
  if (rf !== undefined) return { strategy: 'simple', rf };
  return parseDataCenterReplication(dcs ?? [], '--dc');
}
