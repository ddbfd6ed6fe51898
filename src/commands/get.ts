import { Flags } from '@oclif/core';
import { BaseCommand, clusterFlags, usage } from '../cli/base-command.js';
import { withClient } from '../cli/client-options.js';
import { writeOutput } from '../cli/input.js';
import { readDocument, shownRead, type ReadDocument } from '../client/values.js';
import { parseConsistency } from '../protocol/consistency.js';
import { clFlag, keyArg, keyspaceFlag, traceFlag } from '../cli/data-flags.js';
import { renderRead, renderTrace } from '../cli/render.js';

export default class Get extends BaseCommand {
  static override summary = 'Read a key at a consistency level (exit 0 also when not found)';
  static override examples = [
    '<%= config.bin %> get user:1 --cl quorum --trace',
    '<%= config.bin %> get avatar:1 --value-file avatar.png',
    '<%= config.bin %> get notes --value-file - | gunzip',
  ];
  static override args = { key: keyArg };
  static override flags = {
    ...clusterFlags,
    cl: clFlag,
    keyspace: keyspaceFlag,
    trace: traceFlag,
    'value-file': Flags.string({
      description:
        'write the value to this file, byte for byte, instead of printing it ("-": standard output, nothing else)',
      helpValue: 'FILE',
    }),
  };

  async run(): Promise<ReadDocument> {
    const { args, flags } = await this.parse(Get);
    const cl = parseConsistency(flags.cl);
    const file = flags['value-file'];
    if (file === '-' && this.jsonEnabled()) {
      throw usage('--value-file - and --json both write to standard output: give --value-file a file');
    }
    const read = await withClient(flags, (c) =>
      c.read(args.key, { keyspace: flags.keyspace, cl, trace: flags.trace }),
    );
    const result = shownRead(read);
    if (file === undefined) {
      this.say(renderRead(result));
      return readDocument(result);
    }
    if (!result.found) {
      // Nothing is written: an empty file would read as an empty value.
      this.note(`${result.key} not found: nothing written to ${file === '-' ? 'standard output' : file}`);
      return readDocument(result);
    }
    const bytes = read.value ?? new Uint8Array();
    await writeOutput(file, bytes, 'the value file');
    const trace = renderTrace(result.trace);
    if (file !== '-') {
      this.say(
        `wrote ${bytes.length} bytes of ${result.key} to ${file} (timestamp ${result.timestamp})${trace}`,
      );
    } else if (trace) {
      // Standard output holds the value and nothing else.
      this.note(trace.trimStart());
    }
    return result;
  }
}
