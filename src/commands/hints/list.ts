import type { HintSummary } from '../../client/api.js';
import { BaseCommand, clusterFlags } from '../../cli/base-command.js';
import { withClient } from '../../cli/client-options.js';
import { renderHints } from '../../cli/render.js';

export default class HintsList extends BaseCommand {
  static override summary = 'Pending hints over the whole cluster, per holder and target';
  static override aliases = ['hints'];
  static override flags = { ...clusterFlags };

  async run(): Promise<{ hints: HintSummary[] }> {
    const { flags } = await this.parse(HintsList);
    const hints = await withClient(flags, (c) => c.hints());
    this.say(renderHints(hints, Date.now()));
    return { hints };
  }
}
