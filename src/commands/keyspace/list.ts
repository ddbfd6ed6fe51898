import type { KeyspaceInfo } from '../../client/api.js';
import { BaseCommand, clusterFlags } from '../../cli/base-command.js';
import { withClient } from '../../cli/client-options.js';
import { renderKeyspaces } from '../../cli/render.js';

export default class KeyspaceList extends BaseCommand {
  static override summary = 'The keyspaces and their replication';
  static override flags = { ...clusterFlags };

  async run(): Promise<{ keyspaces: KeyspaceInfo[] }> {
    const { flags } = await this.parse(KeyspaceList);
    const keyspaces = await withClient(flags, (c) => c.keyspaces());
    this.say(renderKeyspaces(keyspaces));
    return { keyspaces };
  }
}
