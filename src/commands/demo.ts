import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { LocalCluster } from '../cli/local-cluster.js';
import { RingkvClient } from '../client/client.js';
import { runInteractiveRepl, runScript, splitStatements } from '../repl/index.js';

export default class Demo extends BaseCommand {
  static override summary =
    'Start a local cluster in a temporary folder, open the REPL on it, and stop it on exit';
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --nodes 5'];
  static override flags = {
    nodes: Flags.integer({ description: 'how many nodes', default: 3, min: 1, max: 9 }),
  };

  async run(): Promise<{ nodes: string[] }> {
    const { flags } = await this.parse(Demo);
    // Nothing to stream yet, so joining nodes need not wait long for their status to spread.
    const cluster = new LocalCluster({ args: ['--ring-delay', '300'], rootPrefix: 'ringkv-demo-' });
    let cleaned = false;
    const cleanup = async () => {
      if (cleaned) return;
      cleaned = true;
      process.stderr.write('stopping the demo cluster...\n');
      await cluster.stopAll('SIGTERM');
    };
    const onSignal = () => {
      void cleanup().then(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    let client: RingkvClient | undefined;
    try {
      for (let i = 0; i < flags.nodes; i++) {
        process.stderr.write(`starting node ${i + 1} of ${flags.nodes}...`);
        const node = await cluster.add();
        process.stderr.write(` ${node.address}\n`);
      }
      client = await RingkvClient.connect({
        contactPoints: cluster.addresses(),
        timeoutMs: 2000,
        route: 'token',
        coordination: 'node',
        speculativeRetry: { kind: 'percentile', p: 99 },
      });
      const session = { cl: 'ONE' as const, keyspace: 'default', tracing: false };
      if (process.stdin.isTTY && process.stdout.isTTY) {
        process.stderr.write(
          `cluster of ${flags.nodes} in ${cluster.root}; type "help", "exit" to stop it\n`,
        );
        await runInteractiveRepl(client, { session });
      } else {
        // Without a terminal the demo reads REPL commands from standard input, like `repl`.
        const input = await readStdin();
        process.exitCode = await runScript(client, splitStatements(input), {
          session,
          json: this.jsonEnabled(),
          continueOnError: false,
          out: process.stdout,
          err: process.stderr,
          nowMs: () => Date.now(),
        });
      }
      return { nodes: cluster.addresses() };
    } finally {
      await client?.close();
      await cleanup();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
    }
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
