import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollUntil, viewFrom } from './convergence.js';

/** The binary of this package, whether it runs from dist/ or from the sources. */
export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

export interface NodeSpec {
  dc?: string;
  rack?: string;
  extraArgs?: string[];
  /** Interface the node listens on and announces (default: the start command's loopback). */
  host?: string;
  /**
   * A command the node is started through, e.g. `['ip', 'netns', 'exec', NS]` to run it in a
   * network namespace. It must exec the node in place, so that signals reach the node itself.
   */
  launcher?: readonly string[];
}

export interface LocalNode {
  index: number;
  dataDir: string;
  port: number;
  address: string;
  hostId: string;
  spec: NodeSpec;
  child: ChildProcess | undefined;
  /** The node's recent log lines, for error reports. */
  log: string[];
}

const LOG_LINES_KEPT = 200;
const STOP_GRACE_MS = 5000;

/**
 * A cluster of real `ringkv start` processes on loopback, each on a free port (the node binds
 * port 0 and reports it) with its own data folder under one temporary root. Used by `ringkv demo`,
 * the benchmark, the chaos checker and the integration tests. `stopAll` kills every process and
 * removes the folder.
 */
export class LocalCluster {
  readonly nodes: LocalNode[] = [];
  readonly root: string;

  constructor(private readonly defaults: { args?: string[]; rootPrefix?: string } = {}) {
    this.root = mkdtempSync(join(tmpdir(), defaults.rootPrefix ?? 'ringkv-'));
  }

  /** Starts a node; the earlier nodes are its seeds. */
  async add(spec: NodeSpec = {}): Promise<LocalNode> {
    const node: LocalNode = {
      index: this.nodes.length,
      dataDir: join(this.root, `n${this.nodes.length}`),
      port: 0,
      address: '',
      hostId: '',
      spec,
      child: undefined,
      log: [],
    };
    this.nodes.push(node);
    await this.launch(node);
    return node;
  }

  async start(count: number, spec: NodeSpec = {}): Promise<LocalNode[]> {
    const out: LocalNode[] = [];
    for (let i = 0; i < count; i++) out.push(await this.add(spec));
    return out;
  }

  private seedsFor(node: LocalNode): string[] {
    return this.nodes
      .filter((n) => n !== node && n.address !== '')
      .map((n) => n.address)
      .slice(0, 2);
  }

  private launch(node: LocalNode): Promise<void> {
    const seeds = this.seedsFor(node);
    const args = [
      BIN,
      'start',
      '--port',
      String(node.port),
      '--data',
      node.dataDir,
      ...(seeds.length ? ['--seeds', seeds.join(',')] : []),
      ...(node.spec.dc ? ['--dc', node.spec.dc] : []),
      ...(node.spec.rack ? ['--rack', node.spec.rack] : []),
      ...(node.spec.host ? ['--host', node.spec.host] : []),
      ...(this.defaults.args ?? []),
      ...(node.spec.extraArgs ?? []),
    ];
    const [command, ...argv] = [...(node.spec.launcher ?? []), process.execPath, ...args];
    const child = spawn(command ?? process.execPath, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Nodes of a local cluster die with the process that started them, even if it is SIGKILLed.
      env: { ...process.env, RINGKV_SECRET: '', RINGKV_EXIT_WITH_PID: String(process.pid) },
    });
    node.child = child;
    const keep = (line: string) => {
      node.log.push(line);
      if (node.log.length > LOG_LINES_KEPT) node.log.shift();
    };
    return new Promise<void>((resolve, reject) => {
      let buffered = '';
      let ready = false;
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          keep(line);
          const m = /node is accepting requests address=(\S+) hostId=(\S+)/.exec(line);
          if (m && !ready) {
            ready = true;
            node.address = m[1] as string;
            node.hostId = m[2] as string;
            node.port = Number(new URL(node.address).port);
            resolve();
          }
        }
      });
      child.stderr?.on('data', (c: Buffer) => keep(c.toString().trimEnd()));
      child.once('exit', (code, signal) => {
        if (node.child === child) node.child = undefined;
        if (!ready) {
          reject(
            new Error(
              `node ${node.index} exited (${code ?? signal}) before it was ready:\n${node.log.slice(-20).join('\n')}`,
            ),
          );
        }
      });
    });
  }

  /** SIGKILL (default) or SIGTERM waits for the exit; SIGSTOP and SIGCONT return at once. */
  kill(node: LocalNode, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = node.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      child.kill(signal);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      // A node that does not stop on SIGTERM in time is killed: cleanup must never hang.
      const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGCONT');
      child.kill(signal);
    });
  }

  /** Restarts a node on its data folder and its port. */
  async restart(node: LocalNode): Promise<void> {
    await this.kill(node);
    await this.launch(node);
  }

  /**
   * Returns once every running node sees them all (and no other node) UP and NORMAL. A node that
   * has just started has not heard of every peer yet: until it has, a request it coordinates at
   * ALL fails with UNAVAILABLE, and a client's view (which is one node's) can say all is well.
   */
  async settled(timeoutMs = 30_000): Promise<void> {
    await pollUntil(
      () => this.notSettled(),
      timeoutMs,
      (behind) =>
        `the nodes did not all see each other UP within ${Math.round(timeoutMs / 1000)} s (${behind}): look at the nodes' logs`,
    );
  }

  /** What the first node that does not see the cluster settled sees; undefined: all do. */
  private async notSettled(): Promise<string | undefined> {
    const running = this.running();
    const auth = {
      clusterName: this.argValue('--cluster-name') ?? 'ringkv',
      secret: this.argValue('--secret'),
    };
    for (const node of running) {
      let nodes;
      try {
        nodes = await viewFrom(node.address, auth);
      } catch (e) {
        return `${node.address} does not answer: ${e instanceof Error ? e.message : String(e)}`;
      }
      const ready = nodes.filter((n) => n.state === 'UP' && n.status === 'NORMAL').length;
      if (nodes.length !== running.length || ready !== running.length)
        return `${node.address} sees ${ready} of ${running.length} nodes UP and NORMAL`;
    }
    return undefined;
  }

  private argValue(flag: string): string | undefined {
    const args = this.defaults.args ?? [];
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  }

  running(): LocalNode[] {
    return this.nodes.filter((n) => n.child !== undefined);
  }

  addresses(): string[] {
    return this.running().map((n) => n.address);
  }

  async stopAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n, signal)));
    rmSync(this.root, { recursive: true, force: true });
  }
}
