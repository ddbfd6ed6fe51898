import type { KeyspaceInfo } from '../../client/api.js';
import { BaseCommand, clusterFlags } from '../../cli/base-command.js';
import { withClient } from '../../cli/client-options.js';
import { keyspaceArgs, parseReplication, replicationFlags } from '../../cli/replication-flags.js';
import { emptyDataCentersNote } from '../../repl/format.js';

export default class KeyspaceCreate extends BaseCommand {
  static override summary = 'Create a keyspace with its replication';
  static override examples = [
    '<%= config.bin %> keyspace create users --rf 3',
    '<%= config.bin %> keyspace create orders --dc dc1:3,dc2:2',
  ];
  static override args = keyspaceArgs;
  static override flags = { ...clusterFlags, ...replicationFlags };

  async run(): Promise<KeyspaceInfo> {
    const { args, flags } = await this.parse(KeyspaceCreate);
    const replication = parseReplication(flags.rf, flags.dc);
    const result = await withClient(flags, async (c) => {
      const created = await c.createKeyspace(args.name, replication);
      const empty = emptyDataCentersNote(args.name, replication, c.currentTopology().nodes);
      if (empty) this.note(empty);
      return created;
    });
    this.say(`created keyspace ${result.name}`);
    return result;
  }
}
