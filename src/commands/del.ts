import { Flags } from '@oclif/core';
import type { PutResult } from '../client/api.js';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { parseConsistency } from '../protocol/consistency.js';
import { MAX_TIMESTAMP_MICROS } from '../protocol/limits.js';
import { clFlag, keyArg, keyspaceFlag, traceFlag } from '../cli/data-flags.js';
import { renderWrite } from '../cli/render.js';

export default class Del extends BaseCommand {
  static override summary = 'Delete a key (writes a tombstone) at a consistency level';
  static override examples = ['<%= config.bin %> del user:1 --cl quorum'];
  static override args = { key: keyArg };
  static override flags = {
    ...clusterFlags,
    cl: clFlag,
    keyspace: keyspaceFlag,
    timestamp: Flags.integer({
      description: 'tombstone timestamp in microseconds since the epoch',
      min: 0,
      max: MAX_TIMESTAMP_MICROS,
    }),
    trace: traceFlag,
  };

  async run(): Promise<PutResult> {
    const { args, flags } = await this.parse(Del);
    const cl = parseConsistency(flags.cl);
    const result = await withClient(flags, (c) =>
      c.del(args.key, {
        keyspace: flags.keyspace,
        cl,
        trace: flags.trace,
        ...(flags.timestamp !== undefined ? { timestamp: flags.timestamp } : {}),
      }),
    );
    this.say(renderWrite('del', result));
    return result;
  }
}
