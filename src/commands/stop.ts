import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';

export default class Stop extends BaseCommand {
  static override summary =
    'Stop the contact node gracefully and wait until it has (everything acknowledged is already durable)';
  static override description =
    'Requests under way get their answers first. The node tells its peers that it is stopping, so they take it for DOWN at once (not after the failure detector convicts it) and store hints for the writes it misses until it starts again.';
  static override flags = { ...clusterFlags };

  async run(): Promise<{ hostId: string }> {
    const { flags } = await this.parse(Stop);
    const hostId = await withClient(flags, (c) => c.stopNode());
    this.say(`stopped ${hostId}`);
    return { hostId };
  }
}
