import { Args, Flags } from '@oclif/core';
import type { KeyspaceInfo } from '../../client/api.js';
import { BaseCommand, clusterFlags, usage } from '../../cli/base-command.js';
import { withClient } from '../../cli/client-options.js';
import { fromArgvOnly, parseKeyspaceName } from '../../cli/data-flags.js';
import type { Replication } from '../../protocol/consistency.js';

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

export default class KeyspaceCreate extends BaseCommand {
  static override summary = 'Create a keyspace with its replication';
  static override examples = [
    '<%= config.bin %> keyspace create users --rf 3',
    '<%= config.bin %> keyspace create orders --dc dc1:3,dc2:2',
  ];
  static override args = {
    name: Args.string({
      required: true,
      description: 'keyspace name',
      parse: parseKeyspaceName,
      ...fromArgvOnly,
    }),
  };
  static override flags = {
    ...clusterFlags,
    rf: Flags.integer({ description: 'replication factor (simple strategy)', min: 1, max: 16 }),
    dc: Flags.string({
      description: 'replicas per data center, DC:N,DC:N (network strategy)',
      multiple: true,
    }),
  };

  async run(): Promise<KeyspaceInfo> {
    const { args, flags } = await this.parse(KeyspaceCreate);
    const replication = parseReplication(flags.rf, flags.dc);
    const result = await withClient(flags, async (c) => {
      const created = await c.createKeyspace(args.name, replication);
      // As Cassandra allows: the DC may be about to join. Said, since until then it holds nothing.
      const known = new Set(c.currentTopology().nodes.map((n) => n.dc));
      const empty =
        replication.strategy === 'network'
          ? Object.entries(replication.dcs)
              .filter(([dc, n]) => n > 0 && !known.has(dc))
              .map(([dc]) => dc)
          : [];
      if (empty.length > 0)
        this.note(
          `note: no node is in ${empty.join(', ')} yet; ${args.name} has no replicas there until one joins`,
        );
      return created;
    });
    this.say(`created keyspace ${result.name}`);
    return result;
  }
}
