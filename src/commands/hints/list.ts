import type { HintsReport } from '../../client/api.js';
import { BaseCommand, clusterFlags } from '../../cli/base-command.js';
import { withClient } from '../../cli/client-options.js';
import { renderHints } from '../../cli/render.js';
import { unansweredHintsLine } from '../../repl/format.js';

export default class HintsList extends BaseCommand {
  static override summary = 'Pending hints over the whole cluster, per holder and target';
  static override description =
    'A node that is down or does not answer is named on stderr and in "unanswered": the hints it holds are not in the list.';
  static override aliases = ['hints'];
  static override flags = { ...clusterFlags };

  async run(): Promise<HintsReport> {
    const { flags } = await this.parse(HintsList);
    const report = await withClient(flags, (c) => c.hints());
    this.say(renderHints(report.hints, Date.now()));
    for (const u of report.unanswered) this.note(`note: ${unansweredHintsLine(u)}`);
    return report;
  }
}
