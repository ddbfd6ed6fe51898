import { Args, Flags } from '@oclif/core';
import type { PutResult } from '../client/api.js';
import { BaseCommand, clusterFlags, usage } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { parseTtlSeconds } from '../cli/duration.js';
import { parseConsistency } from '../protocol/consistency.js';
import { MAX_TIMESTAMP_MICROS, MAX_TTL_SECONDS } from '../protocol/limits.js';
import {
  argumentTextProblem,
  clFlag,
  fromArgvOnly,
  keyArg,
  keyspaceFlag,
  refusing,
  traceFlag,
} from '../cli/data-flags.js';
import { renderWrite } from '../cli/render.js';
import { readInput } from '../cli/input.js';

export default class Put extends BaseCommand {
  static override summary = 'Write a value under a key at a consistency level';
  static override examples = [
    '<%= config.bin %> put user:1 alice --cl quorum',
    '<%= config.bin %> put k v --ttl 60 --json',
    '<%= config.bin %> put session:1 token --ttl 30m',
    '<%= config.bin %> put avatar:1 --value-file avatar.png',
    'gzip -c notes.txt | <%= config.bin %> put notes --value-file -',
  ];
  static override args = {
    key: keyArg,
    value: Args.string({
      required: false,
      description: 'the value (UTF-8); or --value-file',
      parse: refusing((value) => argumentTextProblem(value, 'value')),
      ...fromArgvOnly,
    }),
  };
  static override flags = {
    ...clusterFlags,
    cl: clFlag,
    keyspace: keyspaceFlag,
    timestamp: Flags.integer({
      description: "write timestamp in microseconds since the epoch (default: the coordinator's clock)",
      min: 0,
      max: MAX_TIMESTAMP_MICROS,
    }),
    ttl: Flags.string({
      description: 'how long until the value expires: seconds, or with a unit (30m, 1h, 7d)',
    }),
    trace: traceFlag,
    'value-file': Flags.string({
      description: 'read the value from this file, byte for byte ("-": standard input)',
      helpValue: 'FILE',
    }),
  };

  async run(): Promise<PutResult> {
    const { args, flags } = await this.parse(Put);
    const cl = parseConsistency(flags.cl);
    const ttl = flags.ttl === undefined ? undefined : parseTtlSeconds(flags.ttl, '--ttl', MAX_TTL_SECONDS);
    const value = await valueOf(args.value, flags['value-file']);
    const result = await withClient(flags, (c) =>
      c.put(args.key, value, {
        keyspace: flags.keyspace,
        cl,
        trace: flags.trace,
        ...(flags.timestamp !== undefined ? { timestamp: flags.timestamp } : {}),
        ...(ttl !== undefined ? { ttl } : {}),
      }),
    );
    this.say(renderWrite('put', result));
    return result;
  }
}

/** The value from the argument or, byte for byte, from a file: one of the two. */
async function valueOf(arg: string | undefined, file: string | undefined): Promise<string | Uint8Array> {
  if (arg !== undefined && file !== undefined) {
    throw usage('give the value as VALUE or with --value-file, not both');
  }
  if (file !== undefined) return readInput(file, 'the value file');
  if (arg === undefined) {
    throw usage('give the value as VALUE, or with --value-file FILE ("-": standard input)');
  }
  return arg;
}
