import { Args, Flags } from '@oclif/core';
import type { Replication } from '../protocol/consistency.js';
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
  rf: Flags.integer({ description: 'replication factor (simple strategy)', min: 1, max: 16 }),
  dc: Flags.string({
    description: 'replicas per data center, DC:N,DC:N (network strategy)',
    multiple: true,
  }),
};

export function parseReplication(rf: number | undefined, dcs: string[] | undefined): Replication {
  if ((rf === undefined) === (dcs === undefined)) throw usage('give either --rf N or --dc DC:N,DC:N');
  if (rf !== undefined) return { strategy: 'simple', rf };
  const map: Record<string, number> = {};
  for (const part of (dcs ?? []).flatMap((d) => d.split(','))) {
    const m = /^\s*([^:\s]+)\s*:\s*(\d+)\s*$/.exec(part);
    if (!m) throw usage(`--dc "${part}" is not DC:N`);
    map[m[1] as string] = Number(m[2]);
  }
  if (Object.values(map).every((n) => n === 0)) throw usage('--dc places no replica: give a DC at least 1');
  return { strategy: 'network', dcs: map };
}

/**
 * As Cassandra allows, replication may name a data center no node is in yet: it may be about to
 * join. Said, since until then the keyspace has no replicas there.
 */
export function emptyDataCentersNote(
  keyspace: string,
  replication: Replication,
  nodes: readonly { dc: string }[],
): string | undefined {
  if (replication.strategy !== 'network') return undefined;
  const known = new Set(nodes.map((n) => n.dc));
  const empty = Object.entries(replication.dcs)
    .filter(([dc, n]) => n > 0 && !known.has(dc))
    .map(([dc]) => dc);
  if (empty.length === 0) return undefined;
  return `note: no node is in ${empty.join(', ')} yet; ${keyspace} has no replicas there until one joins`;
}
