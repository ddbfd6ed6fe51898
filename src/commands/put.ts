import { Args, Flags } from '@oclif/core';
import type { PutResult } from '../client/api.js';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { parseConsistency } from '../protocol/consistency.js';
import { clFlag, keyspaceFlag, traceFlag } from '../cli/data-flags.js';
import { renderWrite } from '../cli/render.js';

export default class Put extends BaseCommand {
  static override summary = 'Write a value under a key at a consistency level';
  static override examples = [
    '<%= config.bin %> put user:1 alice --cl quorum',
    '<%= config.bin %> put k v --ttl 60 --json',
  ];
  static override args = {
    key: Args.string({ required: true, description: 'the key (UTF-8)' }),
    value: Args.string({ required: true, description: 'the value (UTF-8)' }),
  };
  static override flags = {
    ...clusterFlags,
    cl: clFlag,
    keyspace: keyspaceFlag,
    timestamp: Flags.integer({
      description: "write timestamp in microseconds since the epoch (default: the coordinator's clock)",
      min: 0,
    }),
    ttl: Flags.integer({ description: 'seconds until the value expires', min: 1 }),
    trace: traceFlag,
  };

  async run(): Promise<PutResult> {
    const { args, flags } = await this.parse(Put);
    const cl = parseConsistency(flags.cl);
    const result = await withClient(flags, (c) =>
      c.put(args.key, args.value, {
        keyspace: flags.keyspace,
        cl,
        trace: flags.trace,
        ...(flags.timestamp !== undefined ? { timestamp: flags.timestamp } : {}),
        ...(flags.ttl !== undefined ? { ttl: flags.ttl } : {}),
      }),
    );
    this.say(renderWrite('put', result));
    return result;
  }
}
