import { Args } from '@oclif/core';
import { fromArgvOnly } from '../cli/data-flags.js';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';

export default class RemoveNode extends BaseCommand {
  static override summary =
    'Drop a dead node; the survivors re-replicate its ranges from the remaining replicas';
  static override args = {
    hostId: Args.string({ required: true, description: 'host id of the dead node', ...fromArgvOnly }),
  };
  static override flags = { ...clusterFlags };

  async run(): Promise<{ hostId: string; keysStreamed: number }> {
    const { args, flags } = await this.parse(RemoveNode);
    const result = await withClient(flags, (c) => c.removenode(args.hostId));
    this.say(`removed ${result.hostId}; ${result.keysStreamed} keys re-replicated`);
    return result;
  }
}
