import { Flags } from '@oclif/core';
import type { HintsTruncated } from '../../client/api.js';
import { BaseCommand, clusterFlags } from '../../cli/base-command.js';
import { withClient } from '../../cli/client-options.js';
import { untruncatedError } from '../../repl/format.js';

export default class HintsTruncate extends BaseCommand {
  static override summary =
    'Drop pending hints everywhere, or only those for one target (repair heals what they held)';
  static override description =
    'Exits 1 (REFUSED) when a node that may hold hints is down or does not answer in time: a down node keeps its hints, and a slow one may or may not have dropped them.';
  static override flags = {
    ...clusterFlags,
    target: Flags.string({ description: 'only hints for this host id' }),
  };

  async run(): Promise<HintsTruncated> {
    const { flags } = await this.parse(HintsTruncate);
    const result = await withClient(flags, (c) => c.truncateHints(flags.target));
    this.say(`dropped ${result.truncated} hints`);
    const failure = untruncatedError(result);
    if (failure) throw failure;
    return result;
  }
}
