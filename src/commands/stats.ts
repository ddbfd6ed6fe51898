import type { OpResult } from '../protocol/ops/index.js';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { renderStats } from '../cli/render.js';

export default class Stats extends BaseCommand {
  static override summary =
    "The contact node's counters: requests it coordinated, their latency, replica work, hints";
  static override description =
    "As nodetool proxyhistograms, tpstats and info for one node, since it started: writes and reads it coordinated (count, failures by error code, latency percentiles of those answered), read repairs, cells it took and served as a replica, hints stored and delivered, and how many writes its synced batches carried (group commit). Ask each node in turn with --node. A client that coordinates itself (--coordination client) shows up in the replicas' counts, not in a coordinator's.";
  static override examples = [
    '<%= config.bin %> stats --node ws://10.0.0.1:7400',
    '<%= config.bin %> stats --json | jq .coordinator.writes.latency',
  ];
  static override flags = { ...clusterFlags };

  async run(): Promise<OpResult<'stats'>> {
    const { flags } = await this.parse(Stats);
    const result = await withClient(flags, (c) => c.stats());
    this.say(renderStats(result));
    return result;
  }
}
