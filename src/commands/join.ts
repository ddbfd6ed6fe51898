import { Flags } from '@oclif/core';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { parseContactPoints } from '../client/options.js';
import { awaitMember } from '../cli/convergence.js';

export default class Join extends BaseCommand {
  static override summary = 'Make a node started with --no-join join the ring now';
  static override description =
    'Returns once every live node sees it UP and NORMAL, as start --detach does, so that the next command of a script may go to any node, at any CL.';
  static override flags = {
    ...clusterFlags,
    seeds: Flags.string({ description: 'seed nodes ws://HOST:PORT (comma-separated)', multiple: true }),
  };

  async run(): Promise<{ hostId: string; tokens: number }> {
    const { flags } = await this.parse(Join);
    const seeds = flags.seeds ? parseContactPoints(flags.seeds, '--seeds') : undefined;
    const { result, address } = await withClient(flags, async (c) => ({
      result: await c.join(seeds),
      address: c.contactAddress(),
    }));
    // The node is NORMAL in its own view; a peer that still sees it JOINING counts it as a pending
    // replica on top of the CL, and a write at ALL would fail there.
    const auth = { clusterName: flags['cluster-name'], ...(flags.secret ? { secret: flags.secret } : {}) };
    await awaitMember(
      address,
      result.hostId,
      auth,
      (why) => `${result.hostId} joined, but ${why}; see "ringkv status"`,
    );
    this.say(`${result.hostId} joined with ${result.tokens} tokens`);
    return result;
  }
}
