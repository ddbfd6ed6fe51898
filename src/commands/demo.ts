import { Flags } from '@oclif/core';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { BaseCommand } from '../cli/base-command.js';
import { LocalCluster, type LocalNode } from '../cli/local-cluster.js';
import { RingkvClient } from '../client/client.js';
import { runInteractiveRepl, runScript, splitStatements, type Session } from '../repl/index.js';

/**
 * Gossip every 500 ms instead of every second: a joining node learns the ring in about a second,
 * and a killed node shows DOWN after about five, short enough to watch. Nothing streams while
 * the cluster is empty, so joining nodes need not wait long for their status to spread.
 */
const DEMO_NODE_ARGS = ['--gossip-interval', '500', '--ring-delay', '300'];

/** How long a node started by hand on a demo folder gets to stop before it is killed. */
const STRAY_STOP_MS = 5000;

/** Signals that end the demo; the nodes are stopped before the process exits with 128 + signal. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs beside the demo in its own process group and holds the read end of a pipe from it. When
 * the pipe closes without "done" (the demo was killed with SIGKILL, or died before it could clean
 * up), it kills the node processes it was told about and removes the folder. On Linux it checks
 * a pid still runs a node of this demo before killing it, so a reused pid is never hit, and also
 * kills nodes started by hand on the demo's folders.
 */
const WATCHDOG_SCRIPT = `
const fs = require('node:fs');
const root = process.argv[1];
const pids = new Set();
let buffered = '';
const ours = (pid) => {
  if (!fs.existsSync('/proc/self/cmdline')) return true;
  try {
    const args = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0');
    return args.includes('start') && args.some((a) => a.startsWith(root + '/'));
  } catch { return false; }
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let nl;
  while ((nl = buffered.indexOf('\\n')) >= 0) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (line === 'done') process.exit(0);
    if (Number(line) > 0) pids.add(Number(line));
  }
});
process.stdin.on('end', () => {
  // Nodes started by hand on the demo's folders too (a killed node brought back).
  if (fs.existsSync('/proc/self/cmdline')) {
    for (const d of fs.readdirSync('/proc')) if (/^\\d+$/.test(d) && Number(d) !== process.pid) pids.add(Number(d));
  }
  for (const pid of pids) {
    try { if (ours(pid)) process.kill(pid, 'SIGKILL'); } catch {}
  }
  try { fs.rmSync(root, { recursive: true, force: true }); } catch {}
  process.exit(0);
});
`;

export default class Demo extends BaseCommand {
  static override summary =
    'Start a local cluster in a temporary folder, open the REPL on it, and stop it on exit';
  static override description =
    'Starts --nodes `ringkv start` processes on free loopback ports, each with its own data folder under one ' +
    'temporary folder, and opens the REPL on them. Leaving the REPL (exit, Ctrl-D, Ctrl-C twice), a signal, ' +
    'or a crash stops every node and removes the folder. Without a terminal, REPL commands are read from ' +
    'standard input, as `ringkv repl` does.';
  static override examples = [
    '<%= config.bin %> demo',
    '<%= config.bin %> demo --nodes 5',
    'echo "put a 1 QUORUM; get a ALL" | <%= config.bin %> demo',
  ];
  static override flags = {
    // Three nodes hold the default keyspace's three replicas, so every CL can be tried.
    nodes: Flags.integer({ description: 'how many nodes', default: 3, min: 1, max: 9 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Demo);
    const cluster = new LocalCluster({ args: DEMO_NODE_ARGS, rootPrefix: 'ringkv-demo-' });
    const guard = new ClusterGuard(cluster);
    let client: RingkvClient | undefined;
    try {
      for (let i = 0; i < flags.nodes; i++) {
        process.stderr.write(`starting node ${i + 1} of ${flags.nodes}...`);
        const node = await guard.add();
        process.stderr.write(` ${node.address} (pid ${node.child?.pid ?? '?'})\n`);
      }
      // Until every node has heard of every other, a request one coordinates at ALL fails.
      process.stderr.write('waiting for every node to see the others UP...');
      await cluster.settled();
      process.stderr.write(' done\n');
      client = await RingkvClient.connect({
        contactPoints: cluster.addresses(),
        timeoutMs: 2000,
        route: 'token',
        coordination: 'node',
        speculativeRetry: { kind: 'percentile', p: 99 },
      });
      const session: Session = { cl: 'ONE', keyspace: 'default', tracing: false };
      if (process.stdin.isTTY && process.stdout.isTTY) {
        const last = cluster.nodes[cluster.nodes.length - 1];
        process.stderr.write(
          `${flags.nodes} nodes up in ${cluster.root}\n` +
            `type "help" to begin; "exit" or Ctrl-D stops the nodes\n` +
            `to watch a node fail, kill it from another terminal: kill -9 ${last?.child?.pid ?? 'PID'}\n` +
            `and to bring it back: ${this.config.bin} start --detach --port 0 --data ${last?.dataDir ?? 'DIR'}\n`,
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
    } finally {
      await client?.close().catch(() => undefined);
      await guard.stop();
    }
  }
}

/**
 * Makes sure no node outlives the demo, however it ends: a normal return stops the nodes with
 * SIGTERM; SIGINT, SIGTERM and SIGHUP do the same and then exit (a second signal kills them at
 * once); a crash or process.exit kills them on the way out; and a watchdog process kills them
 * if the demo itself is killed with SIGKILL.
 */
class ClusterGuard {
  private stopping: Promise<void> | undefined;
  private readonly watchdog: ChildProcess;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    const exitCode = 128 + (constants.signals[signal] ?? 0);
    // The signal may cut a progress line short ("starting node 2 of 3..."): start a fresh one.
    process.stderr.write('\n');
    if (this.stopping) {
      this.killNow();
      process.exit(exitCode);
    }
    void this.stop().finally(() => process.exit(exitCode));
  };
  private readonly onExit = () => this.killNow();

  constructor(private readonly cluster: LocalCluster) {
    this.watchdog = spawn(process.execPath, ['-e', WATCHDOG_SCRIPT, cluster.root], {
      stdio: ['pipe', 'ignore', 'ignore'],
      // Its own process group: a terminal's Ctrl-C or hang-up must not take it down with the demo.
      detached: true,
    });
    this.watchdog.unref();
    // The pipe must not keep the demo alive; it closes when the demo's process ends, however it ends.
    (this.watchdog.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null)?.unref?.();
    this.watchdog.stdin?.on('error', () => undefined);
    // process.on, not once: Ink's exit hook re-raises a signal when it sees no other listener.
    for (const s of STOP_SIGNALS) process.on(s, this.onSignal);
    process.on('exit', this.onExit);
  }

  /** Starts a node, telling the watchdog its pid as soon as the process exists. */
  async add(): Promise<LocalNode> {
    const adding = this.cluster.add();
    const node = this.cluster.nodes[this.cluster.nodes.length - 1];
    if (node?.child?.pid !== undefined) this.watchdog.stdin?.write(`${node.child.pid}\n`);
    return adding;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const strays = straysOf(this.cluster);
      if (this.cluster.running().length > 0 || strays.length > 0)
        process.stderr.write('stopping the demo cluster...\n');
      await Promise.all([this.cluster.stopAll('SIGTERM'), ...strays.map((pid) => stopProcess(pid))]);
      this.watchdog.stdin?.end('done\n');
      process.off('exit', this.onExit);
      for (const s of STOP_SIGNALS) process.off(s, this.onSignal);
    })();
    return this.stopping;
  }

  /** Synchronous, for the last moments of the process: SIGKILL every node and remove the folder. */
  private killNow(): void {
    for (const n of this.cluster.nodes) n.child?.kill('SIGKILL');
    for (const pid of straysOf(this.cluster)) signal(pid, 'SIGKILL');
    if (existsSync(this.cluster.root)) rmSync(this.cluster.root, { recursive: true, force: true });
  }
}

/**
 * Node processes on the demo's folders that the demo did not start: a node killed and started
 * again by hand, as the demo suggests. Found by their command lines, which name the folder;
 * where there is no /proc to read, none are found and such a node outlives the demo.
 */
function straysOf(cluster: LocalCluster): number[] {
  if (!existsSync('/proc/self/cmdline')) return [];
  const ours = new Set(cluster.nodes.map((n) => n.child?.pid));
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid || ours.has(pid)) continue;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.includes('start') && args.some((a) => a.startsWith(`${cluster.root}/`))) found.push(pid);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** SIGTERM, as a node drains; SIGKILL if it is still there after STRAY_STOP_MS. */
async function stopProcess(pid: number): Promise<void> {
  signal(pid, 'SIGTERM');
  for (let waited = 0; waited < STRAY_STOP_MS; waited += 50) {
    if (!signal(pid, 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  signal(pid, 'SIGKILL');
}

/** process.kill that says whether the process was there (signal 0 only asks). */
function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
