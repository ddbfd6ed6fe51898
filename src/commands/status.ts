import type { StatusResult } from '../client/api.js';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { keyspaceFlagFor } from '../cli/data-flags.js';
import { renderStatus } from '../cli/render.js';

export default class Status extends BaseCommand {
  static override summary = 'The nodes of the cluster: UP/DOWN, status, ownership, load and clock offset';
  static override flags = {
    ...clusterFlags,
    keyspace: keyspaceFlagFor('keyspace whose replication gives effective ownership'),
  };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status);
    const result = await withClient(flags, (c) => c.status(flags.keyspace));
    this.say(renderStatus(result));
    for (const w of result.warnings) if (this.jsonEnabled()) this.note(`warning: ${w}`);
    return result;
  }
}
