import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';

export default class Decommission extends BaseCommand {
  static override summary =
    'The contact node streams its data to the nodes taking over its ranges, then leaves';
  static override flags = { ...clusterFlags };

  async run(): Promise<{ hostId: string; keysStreamed: number }> {
    const { flags } = await this.parse(Decommission);
    const result = await withClient(flags, (c) => c.decommission());
    this.say(`${result.hostId} left the ring after streaming ${result.keysStreamed} keys`);
    return result;
  }
}
