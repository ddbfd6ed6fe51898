/**
 * Network namespaces for `npm run chaos`: one namespace per node, each with a veth pair whose other
 * end hangs on a bridge in the root namespace, where the clients run. Partitions are link faults:
 * a node's veth taken down, a minority's veths moved to an "island" bridge that only they share,
 * and (where nft or iptables is installed) one-way drops inside a node's namespace.
 *
 * Addresses come from a made-up range (10.213.K.0/24, K free on this machine) that exists only on
 * the bridge and inside these namespaces. The namespaces get no default route, so nothing a node
 * sends can leave them: traffic stays between the nodes and the root namespace's bridge.
 *
 * Every name carries the owning run's pid (`rkc<pid>-...`), so runs side by side do not collide
 * and a later run can tell leftovers of a crashed run (pid gone) from a live one and remove them.
 * Everything here is synchronous, so teardown also works from a process 'exit' handler.
 */
import { execFileSync } from 'node:child_process';

const NAME_PREFIX = 'rkc';
const OWNED = /^rkc(\d+)-/;
/** First two octets of the test range; the third is picked per run, the fourth is 1 (bridge) or 11+ (nodes). */
const RANGE_PREFIX = '10.213';
const FIRST_NODE_OCTET = 11;
/** A /24 per run: 243 nodes at most, far more than a local cluster runs. */
const MAX_NODES = 243;
/** The nft table (and iptables chain) holding one-way drops inside a node's namespace. */
const DROP_TABLE = 'rkchaos';

export type OneWayTool = 'nft' | 'iptables';

export type Support = { ok: true } | { ok: false; reason: string };

function run(command: string, args: readonly string[], input?: string): string {
  return execFileSync(command, args, {
    encoding: 'utf8',
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(input === undefined ? {} : { input }),
  });
}

function ip(...args: string[]): string {
  return run('ip', args);
}

/** Runs every step even when one fails: teardown must get as far as it can. */
function attempt(step: () => unknown): void {
  try {
    step();
  } catch {
    // already gone, or never made: either way nothing is left to undo
  }
}

function has(command: string): boolean {
  try {
    run(command, ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** Whether this machine lets us make namespaces: Linux, root, and an `ip` that knows netns. */
export function partitionSupport(): Support {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root' };
  try {
    ip('netns', 'list');
  } catch {
    return { ok: false, reason: '`ip netns` is not available (install iproute2)' };
  }
  return { ok: true };
}

/** The tool one-way drops are made with, or undefined when neither nft nor iptables is installed. */
export function oneWayTool(): OneWayTool | undefined {
  if (has('nft')) return 'nft';
  if (has('iptables')) return 'iptables';
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive but someone else's; only ESRCH means gone
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function namespaces(): string[] {
  const out = ip('-j', 'netns', 'list').trim();
  if (out === '') return [];
  return (JSON.parse(out) as { name: string }[]).map((n) => n.name);
}

function links(): string[] {
  return (JSON.parse(ip('-j', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname);
}

/** SIGKILLs what runs in a namespace (a node left behind, stopped or not), then deletes it. */
function removeNamespace(ns: string): void {
  attempt(() => {
    for (const pid of ip('netns', 'pids', ns).split(/\s+/).filter(Boolean)) {
      attempt(() => process.kill(Number(pid), 'SIGKILL'));
    }
  });
  attempt(() => ip('netns', 'del', ns));
}

/**
 * Removes the namespaces, veths and bridges of earlier runs whose process is gone (a run killed
 * before its teardown). Returns the names removed.
 */
export function cleanLeftovers(): string[] {
  const stale = (name: string) => {
    const m = OWNED.exec(name);
    return m !== null && !alive(Number(m[1]));
  };
  const removed: string[] = [];
  for (const ns of namespaces().filter(stale)) {
    removeNamespace(ns);
    removed.push(`netns ${ns}`);
  }
  // Deleting a host-side veth takes its peer with it; bridges go last, once their ports are gone.
  const isBridge = (l: string) => l.endsWith('-br') || l.endsWith('-is');
  const left = links().filter(stale);
  for (const link of [...left.filter((l) => !isBridge(l)), ...left.filter(isBridge)]) {
    attempt(() => ip('link', 'del', link));
    removed.push(`link ${link}`);
  }
  return removed;
}

/** A third octet no address or route on this machine uses yet. */
function freeSubnet(): number {
  const used = `${ip('-j', 'addr', 'show')}\n${ip('-j', 'route', 'show')}`;
  for (let k = 1; k < 255; k++) {
    if (!used.includes(`"${RANGE_PREFIX}.${k}.`)) return k;
  }
  throw new Error(`no free /24 left in ${RANGE_PREFIX}.0.0/16`);
}

/**
 * The namespaces and links of one chaos run. Node i lives in namespace `namespace(i)`, listens on
 * `address(i)` and is started through `launcher(i)`. Each fault has an undo; `healAll` undoes all,
 * `tearDown` removes everything (idempotent).
 */
export class NetLab {
  readonly oneWay: OneWayTool | undefined;
  private readonly bridge: string;
  private readonly island: string;
  private readonly dropping = new Set<number>();
  private torn = false;

  private constructor(
    readonly nodeCount: number,
    private readonly subnet: number,
  ) {
    this.bridge = `${NAME_PREFIX}${process.pid}-br`;
    this.island = `${NAME_PREFIX}${process.pid}-is`;
    this.oneWay = oneWayTool();
  }

  /** Builds the bridges and one namespace per node. Throws (having undone its work) when it cannot. */
  static create(nodeCount: number): NetLab {
    if (nodeCount < 1 || nodeCount > MAX_NODES) throw new Error(`NetLab takes 1 to ${MAX_NODES} nodes`);
    const lab = new NetLab(nodeCount, freeSubnet());
    try {
      lab.build();
    } catch (e) {
      lab.tearDown();
      const stderr = (e as { stderr?: unknown }).stderr;
      throw new Error(`could not build the network namespaces: ${String(stderr ?? e).trim()}`);
    }
    return lab;
  }

  namespace(i: number): string {
    return `${NAME_PREFIX}${process.pid}-n${i}`;
  }

  /** The node's end of its veth is eth0 inside its namespace; this is the end on the bridge. */
  private veth(i: number): string {
    return this.namespace(i);
  }

  address(i: number): string {
    return `${RANGE_PREFIX}.${this.subnet}.${FIRST_NODE_OCTET + i}`;
  }

  /** The root namespace's address on the bridge: where clients' connections come from. */
  get gateway(): string {
    return `${RANGE_PREFIX}.${this.subnet}.1`;
  }

  launcher(i: number): string[] {
    return ['ip', 'netns', 'exec', this.namespace(i)];
  }

  private build(): void {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.gateway}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
    ip('link', 'add', this.island, 'type', 'bridge');
    ip('link', 'set', this.island, 'up');
    for (let i = 0; i < this.nodeCount; i++) {
      const ns = this.namespace(i);
      ip('netns', 'add', ns);
      ip('link', 'add', this.veth(i), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('link', 'set', this.veth(i), 'master', this.bridge, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${this.address(i)}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
  }

  private assertNode(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.nodeCount) throw new Error(`no node ${i} in this lab`);
  }

  /** Cuts node i off from everyone, clients included: packets to and from it vanish. */
  linkDown(i: number): void {
    this.assertNode(i);
    ip('link', 'set', this.veth(i), 'down');
  }

  linkUp(i: number): void {
    this.assertNode(i);
    ip('link', 'set', this.veth(i), 'up');
  }

  /**
   * A symmetric split: the group keeps talking among itself on the island bridge, but neither
   * reaches nor is reached by the other nodes or the clients.
   */
  isolate(group: readonly number[]): void {
    for (const i of group) {
      this.assertNode(i);
      ip('link', 'set', this.veth(i), 'master', this.island);
    }
  }

  rejoin(group: readonly number[]): void {
    for (const i of group) {
      this.assertNode(i);
      ip('link', 'set', this.veth(i), 'master', this.bridge);
    }
  }

  /**
   * A one-way fault: node i stops receiving from `peers`, which still receive from it. Over TCP
   * this means its existing connections still deliver its frames while theirs are lost, and new
   * connections between them fail to open. Needs nft or iptables (see `oneWay`).
   */
  dropFrom(i: number, peers: readonly number[]): void {
    this.assertNode(i);
    if (!this.oneWay) throw new Error('one-way drops need nft or iptables');
    if (peers.length === 0) return;
    for (const p of peers) this.assertNode(p);
    const sources = peers.map((p) => this.address(p));
    const exec = ['netns', 'exec', this.namespace(i)];
    this.allowAll(i);
    this.dropping.add(i);
    if (this.oneWay === 'nft') {
      run(
        'ip',
        [...exec, 'nft', '-f', '-'],
        `table inet ${DROP_TABLE} {\n  chain input {\n    type filter hook input priority 0; policy accept;\n` +
          `    ip saddr { ${sources.join(', ')} } drop\n  }\n}\n`,
      );
    } else {
      for (const s of sources) run('ip', [...exec, 'iptables', '-A', 'INPUT', '-s', s, '-j', 'DROP']);
    }
  }

  /** Undoes `dropFrom` for node i. */
  allowAll(i: number): void {
    this.assertNode(i);
    if (!this.oneWay || !this.dropping.has(i)) return;
    const exec = ['netns', 'exec', this.namespace(i)];
    if (this.oneWay === 'nft')
      attempt(() => run('ip', [...exec, 'nft', 'delete', 'table', 'inet', DROP_TABLE]));
    else attempt(() => run('ip', [...exec, 'iptables', '-F', 'INPUT']));
    this.dropping.delete(i);
  }

  /** Every link up, every node on the main bridge, no drops. */
  healAll(): void {
    for (let i = 0; i < this.nodeCount; i++) {
      this.allowAll(i);
      ip('link', 'set', this.veth(i), 'master', this.bridge, 'up');
    }
  }

  /** Kills whatever still runs in the namespaces and removes namespaces, veths and bridges. */
  tearDown(): void {
    if (this.torn) return;
    this.torn = true;
    for (let i = 0; i < this.nodeCount; i++) removeNamespace(this.namespace(i));
    // The namespaces die with their last process, which may take a moment; deleting the host end
    // of each veth removes the pair now. Whatever is already gone fails quietly.
    for (let i = 0; i < this.nodeCount; i++) attempt(() => ip('link', 'del', this.veth(i)));
    for (const b of [this.bridge, this.island]) attempt(() => ip('link', 'del', b));
  }
}
