import type { EndpointsResult } from '../client/api.js';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { keyArg, keyspaceFlag } from '../cli/data-flags.js';
import { renderEndpoints } from '../cli/render.js';

export default class Endpoints extends BaseCommand {
  static override summary = "A key's token and its replicas in order, with which are up";
  static override args = { key: keyArg };
  static override flags = {
    ...clusterFlags,
    keyspace: keyspaceFlag,
  };

  async run(): Promise<EndpointsResult> {
    const { args, flags } = await this.parse(Endpoints);
    const result = await withClient(flags, (c) => c.endpoints(args.key, flags.keyspace));
    this.say(renderEndpoints(result));
    return result;
  }
}
