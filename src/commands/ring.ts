import type { RingEntry } from '../client/api.js';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { renderRing } from '../cli/render.js';

export default class Ring extends BaseCommand {
  static override summary = 'Every token of the ring in order, with the node that owns it';
  static override flags = { ...clusterFlags };

  async run(): Promise<{ ring: RingEntry[] }> {
    const { flags } = await this.parse(Ring);
    const ring = await withClient(flags, (c) => c.ring());
    this.say(renderRing(ring));
    return { ring };
  }
}
