import { Flags } from '@oclif/core';
import { BaseCommand, clusterFlags } from '../../cli/base-command.js';
import { withClient } from '../../cli/client-options.js';

export default class HintsTruncate extends BaseCommand {
  static override summary =
    'Drop pending hints everywhere, or only those for one target (repair heals what they held)';
  static override flags = {
    ...clusterFlags,
    target: Flags.string({ description: 'only hints for this host id' }),
  };

  async run(): Promise<{ truncated: number }> {
    const { flags } = await this.parse(HintsTruncate);
    const result = await withClient(flags, (c) => c.truncateHints(flags.target));
    this.say(`dropped ${result.truncated} hints`);
    return result;
  }
}
