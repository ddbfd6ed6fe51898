import type { GetResult } from '../client/api.js';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { parseConsistency } from '../protocol/consistency.js';
import { clFlag, keyArg, keyspaceFlag, traceFlag } from '../cli/data-flags.js';
import { renderRead } from '../cli/render.js';

export default class Get extends BaseCommand {
  static override summary = 'Read a key at a consistency level (exit 0 also when not found)';
  static override examples = ['<%= config.bin %> get user:1 --cl quorum --trace'];
  static override args = { key: keyArg };
  static override flags = { ...clusterFlags, cl: clFlag, keyspace: keyspaceFlag, trace: traceFlag };

  async run(): Promise<GetResult> {
    const { args, flags } = await this.parse(Get);
    const cl = parseConsistency(flags.cl);
    const result = await withClient(flags, (c) =>
      c.get(args.key, { keyspace: flags.keyspace, cl, trace: flags.trace }),
    );
    this.say(renderRead(result));
    return result;
  }
}
