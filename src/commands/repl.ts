import { Flags } from '@oclif/core';
import { BaseCommand, clusterFlags } from '../cli/base-command.js';
import { clientOptionsFromFlags } from '../cli/client-options.js';
import { keyspaceFlagFor } from '../cli/data-flags.js';
import { readInput } from '../cli/input.js';
import { RingkvClient } from '../client/client.js';
import { DEFAULT_CONSISTENCY, parseConsistency } from '../protocol/consistency.js';
import type { Session } from '../repl/commands.js';
import { splitStatements } from '../repl/parser.js';
import { runScript } from '../repl/script.js';

export default class Repl extends BaseCommand {
  static override summary =
    'An interactive shell on a running cluster, or its commands from -e, -f or a pipe';
  static override description =
    'In a terminal, opens the REPL: put/get/del at any CL, status, ring, endpoints, hints, repair; type help. ' +
    'With -e, -f or a pipe on standard input, runs the same commands without the UI, one result per command ' +
    '(JSON lines with --json), and stops at the first failure unless --continue-on-error.';

  static override examples = [
    '<%= config.bin %> repl --node ws://127.0.0.1:7400',
    '<%= config.bin %> repl -e "put a 1; get a QUORUM"',
    '<%= config.bin %> repl -f setup.ringkv --json',
    'echo "status" | <%= config.bin %> repl',
  ];

  static override flags = {
    ...clusterFlags,
    execute: Flags.string({
      char: 'e',
      description: 'run these commands, separated by ";", and exit',
      exclusive: ['file'],
    }),
    file: Flags.string({
      char: 'f',
      description:
        'run the commands in FILE (one per line or ";"-separated, "#" starts a comment line) and exit; - reads standard input',
    }),
    'continue-on-error': Flags.boolean({
      description:
        'in scripts, run every command even after a failure (the exit code still reports the first)',
      default: false,
    }),
    keyspace: keyspaceFlagFor('the session keyspace (USE changes it)'),
    cl: Flags.string({
      description: 'the session consistency level (CONSISTENCY changes it)',
      // DESIGN.md: the default CL is ONE, as in Cassandra and cqlsh.
      default: DEFAULT_CONSISTENCY.toLowerCase(),
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Repl);
    const session: Session = { cl: parseConsistency(flags.cl), keyspace: flags.keyspace, tracing: false };
    const interactive =
      process.stdin.isTTY && process.stdout.isTTY && flags.execute === undefined && flags.file === undefined;
    // Read the script before connecting: a missing file is a usage error, whatever the cluster's state.
    const script = interactive ? undefined : await readScript(flags.execute, flags.file);

    const client = await RingkvClient.connect(clientOptionsFromFlags(flags));
    try {
      if (script === undefined) {
        // Ink and React load only for a terminal; scripts never render the UI.
        const { runInteractiveRepl } = await import('../repl/index.js');
        await runInteractiveRepl(client, { session });
        return;
      }
      const interrupt = new AbortController();
      const onSigint = () => interrupt.abort();
      process.once('SIGINT', onSigint);
      try {
        process.exitCode = await runScript(client, splitStatements(script), {
          session,
          json: this.jsonEnabled(),
          continueOnError: flags['continue-on-error'],
          out: process.stdout,
          err: process.stderr,
          nowMs: () => Date.now(),
          signal: interrupt.signal,
        });
      } finally {
        process.off('SIGINT', onSigint);
      }
    } finally {
      await client.close();
    }
  }
}

async function readScript(execute: string | undefined, file: string | undefined): Promise<string> {
  if (execute !== undefined) return execute;
  return (await readInput(file ?? '-', 'the script')).toString('utf8');
}
