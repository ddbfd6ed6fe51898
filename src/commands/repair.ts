import { Flags } from '@oclif/core';
import type { RepairProgress, RepairSummary } from '../client/api.js';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { keyspaceFlagFor } from '../cli/data-flags.js';
import { renderRepair } from '../cli/render.js';
import { repairProgressText, unrepairedError } from '../repl/format.js';

export default class Repair extends BaseCommand {
  static override summary =
    'Anti-entropy repair: compare Merkle trees of replicas and stream only what differs';
  static override description =
    'Repairs the token ranges the contact node replicates, as nodetool repair does: every range when the cluster has no more nodes than the replication factor. With --all-ranges the contact node repairs every range of the keyspace, whichever nodes replicate it: one run after raising a replication factor. With --pr, run against every node in turn, each range is repaired once.';
  static override examples = [
    '<%= config.bin %> repair --keyspace users --all-ranges',
    '<%= config.bin %> repair --pr --node ws://10.0.0.2:7400',
  ];
  static override flags = {
    ...clusterFlags,
    keyspace: keyspaceFlagFor('keyspace to repair'),
    'all-ranges': Flags.boolean({
      description: 'every range of the keyspace, not only those the contact node replicates',
      default: false,
      exclusive: ['pr'],
    }),
    pr: Flags.boolean({
      description: "only the contact node's primary ranges (run on every node in turn)",
      default: false,
    }),
    full: Flags.boolean({
      description: 'a full repair: every repair already compares every range (kept for Cassandra habits)',
      default: false,
    }),
    preview: Flags.boolean({
      description: 'compare and report what would be streamed, stream nothing',
      default: false,
    }),
  };

  async run(): Promise<RepairSummary> {
    const { flags } = await this.parse(Repair);
    const progress = repairProgress(process.stderr, flags.preview);
    let summary: RepairSummary;
    let contact = '';
    let rangesInRing = 0;
    try {
      summary = await withClient(flags, async (c) => {
        const s = await c.repair(
          {
            keyspace: flags.keyspace,
            primaryRangeOnly: flags.pr,
            allRanges: flags['all-ranges'],
            full: flags.full,
            preview: flags.preview,
          },
          progress.update,
        );
        // Only a repair of the contact node's ranges may have left others out.
        if (!flags.pr && !flags['all-ranges']) {
          contact = c.contactAddress();
          rangesInRing = (await c.ring()).length;
        }
        return s;
      });
    } finally {
      // An error line must not start at the end of the progress line.
      progress.done();
    }
    this.say(renderRepair(summary));
    // As nodetool repair, it covered its node's ranges: say so when that was not all of them.
    if (summary.ranges < rangesInRing) {
      this.note(
        `note: repaired the ${summary.ranges} of ${rangesInRing} ranges ${contact} replicates; --all-ranges repairs every range of ${summary.keyspace}`,
      );
    }
    const failure = unrepairedError(summary);
    if (failure) throw failure;
    return summary;
  }
}

/** Lines in a log this far apart at least, besides the first. */
const LOG_PROGRESS_INTERVAL_MS = 2000;

/**
 * Repair progress on stderr: a terminal gets one line redrawn in place; a log (CI, a pipe) gets
 * the first update and then one line every couple of seconds, since redraws would run together.
 */
function repairProgress(
  out: NodeJS.WriteStream,
  preview: boolean,
): {
  update: (p: RepairProgress) => void;
  done: () => void;
} {
  const tty = out.isTTY === true;
  let drawn = false;
  let lastLineMs = -Infinity;
  return {
    update: (p) => {
      const text = `repair: ${repairProgressText(p, preview)}`;
      if (tty) {
        out.write(`\r${text}`);
        drawn = true;
      } else if (performance.now() - lastLineMs >= LOG_PROGRESS_INTERVAL_MS) {
        out.write(`${text}\n`);
        lastLineMs = performance.now();
      }
    },
    done: () => {
      if (drawn) out.write('\n');
    },
  };
}
