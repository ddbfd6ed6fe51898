import { spawn } from 'node:child_process';
import { RingkvClient } from '../../src/client/client.js';
import type { ClientOptions } from '../../src/client/api.js';
import { BIN, LocalCluster, type LocalNode, type NodeSpec } from '../../src/cli/local-cluster.js';

export { BIN };

/** Fast failure detection and a short ring delay keep integration tests short; the logic is the same. */
export const FAST_ARGS = ['--gossip-interval', '200', '--ring-delay', '600'];

/** A LocalCluster for tests: fast gossip, clients that are closed with it, and polling helpers. */
export class TestCluster extends LocalCluster {
  private readonly clients: RingkvClient[] = [];

  constructor(args: string[] = []) {
    super({ args: [...FAST_ARGS, ...args], rootPrefix: 'ringkv-it-' });
  }

  /** Starts nodes and returns once every node agrees they are all UP and NORMAL. */
  override async start(count: number, spec: NodeSpec = {}): Promise<LocalNode[]> {
    const nodes = await super.start(count, spec);
    await this.settled();
    return nodes;
  }

  async client(options: Partial<ClientOptions> = {}): Promise<RingkvClient> {
    const c = await RingkvClient.connect({
      contactPoints: this.addresses(),
      timeoutMs: 3000,
      route: 'token',
      coordination: 'node',
      speculativeRetry: { kind: 'percentile', p: 99 },
      ...options,
    });
    this.clients.push(c);
    return c;
  }

  override async stopAll(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await super.stopAll();
  }
}

/** The cluster's i-th node, which a test expects to exist. */
export function nth(c: LocalCluster, i: number): LocalNode {
  const n = c.nodes[i];
  if (!n) throw new Error(`no node ${i}`);
  return n;
}

/** Polls until a condition holds; fails with what it waited for. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // keep polling
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the built CLI and returns its exit code and output; `stdin`, if given, is piped in. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  stdin?: Uint8Array,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, RINGKV_SECRET: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // Without `stdin`, an empty pipe: the end of input at once, as from /dev/null.
    child.stdin.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
