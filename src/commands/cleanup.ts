import { Flags } from '@oclif/core';
import type { OpResult } from '../protocol/ops/index.js';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { parseKeyspaceName } from '../cli/data-flags.js';
import { cleanupLine } from '../repl/format.js';

export default class Cleanup extends BaseCommand {
  static override summary = 'The contact node drops the data of ranges it is no longer a replica of';
  static override description =
    "As nodetool cleanup: after a node joined, or a keyspace's replication factor went down, the nodes that handed ranges over keep their copies, which take disk and are never read. Run it on each node in turn (--node), once the ring is settled (every node NORMAL in ringkv status); a node that is joining or leaving refuses. Data a node is about to take over is kept.";
  static override examples = [
    '<%= config.bin %> cleanup --node ws://10.0.0.1:7400',
    '<%= config.bin %> cleanup --keyspace users --node ws://10.0.0.2:7400',
  ];
  static override flags = {
    ...clusterFlags,
    keyspace: Flags.string({ description: 'only this keyspace (default: all)', parse: parseKeyspaceName }),
  };

  async run(): Promise<OpResult<'cleanup'>> {
    const { flags } = await this.parse(Cleanup);
    const result = await withClient(flags, (c) => c.cleanup(flags.keyspace));
    this.say(cleanupLine(result, result.hostId));
    return result;
  }
}
