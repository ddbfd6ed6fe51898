import { Flags } from '@oclif/core';
import type { NodeStatsEntry, StatsResult } from '../client/api.js';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { renderStats } from '../cli/render.js';
import { statsTable } from '../repl/format.js';

export default class Stats extends BaseCommand {
  static override summary = "A node's counters: requests it coordinated, their latency, replica work, hints";
  static override description =
    'As nodetool proxyhistograms, tpstats and info for the contact node, since it started: writes and reads it coordinated (count, failures by error code, latency percentiles of those answered in the last minute or two), read repairs, cells it took and served as a replica, hints stored and delivered, and how many writes its synced batches carried (group commit). With --all, every node in one row each ({"nodes":[...]}; a node that cannot answer says why). A client that coordinates itself (--coordination client) shows up in the replicas\' counts, not in a coordinator\'s.';
  static override examples = [
    '<%= config.bin %> stats --node ws://10.0.0.1:7400',
    '<%= config.bin %> stats --all',
    '<%= config.bin %> stats --json | jq .coordinator.writes.latency',
  ];
  static override flags = {
    ...clusterFlags,
    all: Flags.boolean({ description: 'every node, one row each', default: false }),
  };

  async run(): Promise<StatsResult | { nodes: NodeStatsEntry[] }> {
    const { flags } = await this.parse(Stats);
    if (flags.all) {
      const nodes = await withClient(flags, (c) => c.statsOfEveryNode());
      this.say(statsTable(nodes).join('\n'));
      return { nodes };
    }
    const result = await withClient(flags, (c) => c.stats());
    this.say(renderStats(result));
    return result;
  }
}
