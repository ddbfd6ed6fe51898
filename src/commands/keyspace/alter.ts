import type { AlteredKeyspace } from '../../client/api.js';
import { BaseCommand, clusterFlags } from '../../cli/base-command.js';
import { withClient } from '../../cli/client-options.js';
import { keyspaceArgs, parseReplication, replicationFlags } from '../../cli/replication-flags.js';
import {
  alterationCleanupNote,
  alterationLine,
  alterationRepairNote,
  emptyDataCentersNote,
} from '../../repl/format.js';

export default class KeyspaceAlter extends BaseCommand {
  static override summary = 'Change the replication of a keyspace';
  static override description =
    'As ALTER KEYSPACE in Cassandra: writes from now on go to the new replicas, and the data already written reaches the replicas a key gained only through repair. Run `ringkv repair --keyspace NAME --all-ranges` after raising a replication factor: until then a read that asks only new replicas of a key (at ONE, or at QUORUM after RF 1 to 3) misses it, and one that reaches an old replica finds it and repairs the others. Nodes that stop being replicas keep their copies, never read, until `ringkv cleanup`.';
  static override examples = [
    '<%= config.bin %> keyspace alter users --rf 3',
    '<%= config.bin %> keyspace alter orders --dc dc1:3,dc2:3',
  ];
  static override args = keyspaceArgs;
  static override flags = { ...clusterFlags, ...replicationFlags };

  async run(): Promise<AlteredKeyspace> {
    const { args, flags } = await this.parse(KeyspaceAlter);
    const replication = parseReplication(flags.rf, flags.dc);
    const result = await withClient(flags, async (c) => {
      const altered = await c.alterKeyspace(args.name, replication);
      const empty = emptyDataCentersNote(args.name, replication, c.currentTopology().nodes);
      if (empty) this.note(empty);
      return altered;
    });
    this.say(alterationLine(result));
    const repair = alterationRepairNote(result, `ringkv repair --keyspace ${result.name} --all-ranges`);
    if (repair) this.note(repair);
    const cleanup = alterationCleanupNote(
      result,
      `ringkv cleanup --keyspace ${result.name} --node <each node>`,
    );
    if (cleanup) this.note(cleanup);
    return result;
  }
}
