import { Args } from '@oclif/core';
import { fromArgvOnly } from '../cli/data-flags.js';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { shortfallMessage } from '../protocol/consistency.js';

export default class RemoveNode extends BaseCommand {
  static override summary =
    'Drop a dead node; the survivors re-replicate its ranges from the remaining replicas';
  static override description =
    'To replace a dead machine, remove its node first, then start the new one on an empty data folder (the same address may be reused once the old node is removed).';
  static override args = {
    hostId: Args.string({ required: true, description: 'host id of the dead node', ...fromArgvOnly }),
  };
  static override flags = { ...clusterFlags };

  async run(): Promise<{ hostId: string; keysStreamed: number }> {
    const { args, flags } = await this.parse(RemoveNode);
    const { result, notes } = await withClient(flags, async (c) => {
      const removed = await c.removenode(args.hostId);
      const keyspaces = await c.keyspaces();
      const nodes = c.currentTopology().nodes.filter((n) => n.status !== 'LEFT');
      return {
        result: removed,
        notes: keyspaces.flatMap((k) => {
          const short = shortfallMessage(k.name, k.replication, nodes);
          return short === undefined ? [] : [`note: ${short}`];
        }),
      };
    });
    this.say(`removed ${result.hostId}; ${result.keysStreamed} keys re-replicated`);
    for (const note of notes) this.note(note);
    return result;
  }
}
