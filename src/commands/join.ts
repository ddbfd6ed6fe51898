import { Flags } from '@oclif/core';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { parseContactPoints, withClient } from '../cli/client-options.js';

export default class Join extends BaseCommand {
  static override summary = 'Make a node started with --no-join join the ring now';
  static override flags = {
    ...clusterFlags,
    seeds: Flags.string({ description: 'seed nodes ws://HOST:PORT (comma-separated)', multiple: true }),
  };

  async run(): Promise<{ hostId: string; tokens: number }> {
    const { flags } = await this.parse(Join);
    const seeds = flags.seeds ? parseContactPoints(flags.seeds, '--seeds') : undefined;
    const result = await withClient(flags, (c) => c.join(seeds));
    this.say(`${result.hostId} joined with ${result.tokens} tokens`);
    return result;
  }
}
