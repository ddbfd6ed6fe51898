/**
 * npm run chaos [-- --duration 60 --nodes 5 --clients 4 --keys 20 --seed N --partitions auto]
 *
 * Fault injection against real processes: a local cluster of `ringkv start` processes takes a
 * workload from several clients while nodes are SIGKILLed or stopped with SIGTERM and restarted,
 * and SIGSTOPped and resumed. Then everything heals, requests still in flight land (QUIET_MS), hints drain, every node
 * repairs, and the history is checked with the simulation's checker (test/sim/checker.ts). Exits
 * non-zero when an acknowledged write was lost, replicas still diverge, or any other promise was
 * broken.
 *
 * Where the machine allows it (root and `ip netns`), each node lives in its own network namespace
 * behind a veth on a bridge (scripts/netns.ts) and the faults also include network partitions: a
 * node's link taken down, a minority split off onto a bridge of its own, and one-way drops where
 * nft or iptables is installed. The clients stay in the root namespace. `--partitions on` insists
 * on namespaces, `off` keeps every node on loopback, `auto` (the default) uses them when it can.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { RingkvClient } from '../src/client/client.js';
import type { ClientOptions } from '../src/client/api.js';
import { LocalCluster, type LocalNode } from '../src/cli/local-cluster.js';
import type { ConsistencyLevel } from '../src/protocol/consistency.js';
import { RingkvError } from '../src/protocol/errors.js';
import { check } from '../test/sim/checker.js';
import { PROPERTY_NAMES, type Op, type ReplicaCell } from '../test/sim/history.js';
import { Prng } from '../test/sim/prng.js';
import { NetLab, cleanLeftovers, partitionSupport } from './netns.js';

const KEYSPACE = 'default';
const RF = 3;
const WRITE_CLS: readonly ConsistencyLevel[] = ['ANY', 'ONE', 'TWO', 'QUORUM', 'ALL'];
const READ_CLS: readonly ConsistencyLevel[] = ['ONE', 'TWO', 'QUORUM', 'ALL'];
/** Fast gossip as in the integration tests: failures are noticed in about 2 s instead of 10. */
const CLUSTER_ARGS = ['--gossip-interval', '200', '--ring-delay', '600'];
/** A client waits this long for a coordinator (which itself times out replicas sooner). */
const CLIENT_TIMEOUT_MS = 3000;
/**
 * After healing, how long before hints are drained, repair runs and replicas are read. A request
 * sent across a link that was down sits in TCP's retransmission queue, retried at doubling
 * intervals, and arrives up to about as long after the link returns as the link was down (faults
 * last at most 6 s): a node then coordinates or applies it, which is legitimate for a request
 * whose client gave up, but a write that lands after repair would read as replicas diverging.
 */
const QUIET_MS = 8000;
/** How long healing may take before the run counts as not converged. */
const HEAL_LIMIT_MS = 90_000;
/** At most this many nodes are killed or stopped at once, so that quorums stay possible now and then. */
const MAX_FAULTY = 2;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a number`);
  return v;
}

function choice<T extends string>(name: string, options: readonly T[], fallback: T): T {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  const found = options.find((o) => o === v);
  if (found === undefined) throw new Error(`--${name} takes one of ${options.join(', ')}`);
  return found;
}

type FaultKind = 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'link-down' | 'split' | 'one-way';

/**
 * Namespaces when asked for and possible. `auto` falls back to loopback with a note saying why;
 * `on` fails instead. Leftovers of a run that died before its teardown are removed first.
 */
function openLab(mode: 'on' | 'off' | 'auto', nodeCount: number): NetLab | undefined {
  if (mode === 'off') {
    console.log('partitions off (--partitions off): nodes share loopback, only processes fail');
    return undefined;
  }
  const support = partitionSupport();
  let reason: string;
  if (support.ok) {
    const removed = cleanLeftovers();
    if (removed.length) console.log(`removed leftovers of an earlier run: ${removed.join(', ')}`);
    try {
      return NetLab.create(nodeCount);
    } catch (e) {
      reason = e instanceof Error ? e.message : String(e);
    }
  } else {
    reason = support.reason;
  }
  if (mode === 'on') throw new Error(`--partitions on, but ${reason}`);
  console.log(`partitions off: ${reason}; nodes share loopback, only processes fail`);
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  const deadline = performance.now() + limitMs;
  while (performance.now() < deadline) {
    try {
      if (await check()) return true;
    } catch {
      // a node still coming back: ask again
    }
    await sleep(250);
  }
  console.error(`gave up waiting: ${what}`);
  return false;
}

function clientOptions(cluster: LocalCluster, timeoutMs: number): ClientOptions {
  return {
    contactPoints: cluster.nodes.map((n) => n.address),
    timeoutMs,
    route: 'token',
    coordination: 'node',
    speculativeRetry: { kind: 'percentile', p: 99 },
  };
}

async function main(): Promise<number> {
  const dist = fileURLToPath(new URL('../dist/commands/start.js', import.meta.url));
  if (!existsSync(dist)) {
    console.error('chaos runs the built binary: run "npm run build" first');
    return 2;
  }
  const durationMs = flag('duration', 60) * 1000;
  const nodeCount = flag('nodes', 5);
  const clientCount = flag('clients', 4);
  const keyCount = flag('keys', 20);
  const seed = flag('seed', Math.floor(Math.random() * 2 ** 31));
  const partitions = choice('partitions', ['on', 'off', 'auto'], 'auto');
  const rng = new Prng(seed);
  console.log(
    `chaos: ${nodeCount} nodes, ${clientCount} clients, ${keyCount} keys, ${durationMs / 1000} s, seed ${seed}`,
  );

  const lab = openLab(partitions, nodeCount);
  // However the run ends (a crash, process.exit, a signal), no namespace, veth or bridge outlives it.
  process.once('exit', () => lab?.tearDown());
  if (lab) {
    console.log(
      `partitions on: nodes in namespaces ${lab.namespace(0)}..${nodeCount - 1} at ${lab.address(0)}.., ` +
        `clients at ${lab.gateway}; one-way drops ${lab.oneWay ? `with ${lab.oneWay}` : 'off: neither nft nor iptables is installed'}`,
    );
  }
  const faultKinds: FaultKind[] = [
    'SIGKILL',
    'SIGTERM',
    'SIGSTOP',
    ...(lab ? (['link-down', 'split'] as const) : []),
    ...(lab?.oneWay ? (['one-way'] as const) : []),
  ];

  const cluster = new LocalCluster({ args: CLUSTER_ARGS, rootPrefix: 'ringkv-chaos-' });
  const clients: RingkvClient[] = [];
  const cleanup = async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    for (const n of cluster.nodes) await cluster.kill(n, 'SIGCONT');
    await cluster.stopAll();
    lab?.tearDown();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  }
  try {
    for (let i = 0; i < nodeCount; i++) {
      await cluster.add(
        lab ? { host: lab.address(i), launcher: lab.launcher(i), extraArgs: ['--insecure'] } : {},
      );
    }
    const admin = await RingkvClient.connect(clientOptions(cluster, 120_000));
    clients.push(admin);
    // Every node sees every other UP and NORMAL: while one still sees the last joiner JOINING, it
    // reads a key from the replicas of the ring before the join, which the checker counts.
    const settled = (limitMs: number) =>
      cluster.settled(limitMs).then(
        () => true,
        (e: unknown) => {
          console.error(e instanceof Error ? e.message : String(e));
          return false;
        },
      );
    if (!(await settled(60_000))) return 1;
    console.log(`cluster up: ${cluster.nodes.map((n) => n.address).join(' ')}`);

    // ---- workload under faults ----
    const ops: Op[] = [];
    const faults: Record<string, number> = {};
    const faulty = new Set<LocalNode>();
    const stopped = new Set<LocalNode>();
    const started = performance.now();
    /** The wall clock at `started`, µs: cell timestamps in the report are shown on the run's time line. */
    const startedWallMicros = Date.now() * 1000;
    const now = () => performance.now() - started;
    const end = durationMs;
    let nextId = 1;

    const runFaults = async () => {
      const pending: Promise<void>[] = [];
      const at = () => `${(now() / 1000).toFixed(1)} s`;
      const name = (group: readonly LocalNode[]) => group.map((n) => `n${n.index}`).join(',');
      // Undo a fault after `lasts` ms; its nodes may be picked again only once it is undone.
      const undoLater = (group: LocalNode[], lasts: number, undo: () => Promise<void> | void) => {
        for (const n of group) faulty.add(n);
        pending.push(
          sleep(lasts)
            .then(undo)
            .catch((e: unknown) => console.error(`undoing a fault on ${name(group)} failed: ${String(e)}`))
            .finally(() => {
              for (const n of group) faulty.delete(n);
            }),
        );
      };
      while (now() < end - 3000) {
        await sleep(rng.range(1000, 4000));
        const healthy = cluster.nodes.filter((n) => !faulty.has(n));
        const room = Math.min(MAX_FAULTY - faulty.size, healthy.length);
        if (room <= 0) continue;
        let kind = rng.pick(faultKinds);
        // A split needs two sides of at least two nodes to differ from a single node cut off.
        const minority = Math.min(room, Math.floor((nodeCount - 1) / 2));
        if (kind === 'split' && minority < 2) kind = 'link-down';
        const lasts = rng.range(1000, 6000);
        const secs = `${(lasts / 1000).toFixed(1)} s`;
        faults[kind] = (faults[kind] ?? 0) + 1;
        const victim = rng.pick(healthy);
        switch (kind) {
          // SIGTERM is a graceful stop, as an operator's restart: the node drains and tells its peers.
          case 'SIGKILL':
          case 'SIGTERM':
            console.log(`${at()}: ${kind} n${victim.index}, restart in ${secs}`);
            faulty.add(victim);
            await cluster.kill(victim, kind);
            undoLater([victim], lasts, () => cluster.restart(victim));
            break;
          case 'SIGSTOP':
            console.log(`${at()}: SIGSTOP n${victim.index} for ${secs}`);
            stopped.add(victim);
            await cluster.kill(victim, 'SIGSTOP');
            undoLater([victim], lasts, async () => {
              await cluster.kill(victim, 'SIGCONT');
              stopped.delete(victim);
            });
            break;
          case 'link-down':
            console.log(`${at()}: link of n${victim.index} down for ${secs}`);
            lab?.linkDown(victim.index);
            undoLater([victim], lasts, () => lab?.linkUp(victim.index));
            break;
          case 'split': {
            const group = [victim];
            while (group.length < minority) group.push(rng.pick(healthy.filter((n) => !group.includes(n))));
            const indexes = group.map((n) => n.index);
            console.log(`${at()}: split ${name(group)} from the rest and the clients for ${secs}`);
            lab?.isolate(indexes);
            undoLater(group, lasts, () => lab?.rejoin(indexes));
            break;
          }
          case 'one-way': {
            const others = cluster.nodes.filter((n) => n !== victim);
            const peers = [rng.pick(others)];
            if (rng.chance(0.5)) {
              const second = others.filter((n) => !peers.includes(n));
              if (second.length) peers.push(rng.pick(second));
            }
            console.log(`${at()}: n${victim.index} hears nothing from ${name(peers)} for ${secs}`);
            lab?.dropFrom(
              victim.index,
              peers.map((n) => n.index),
            );
            undoLater([victim], lasts, () => lab?.allowAll(victim.index));
            break;
          }
        }
      }
      await Promise.all(pending);
    };

    const runClient = async (client: number, c: RingkvClient, crng: Prng) => {
      let seq = 0;
      while (now() < end) {
        const roll = crng.next();
        const kind: Op['kind'] = roll < 0.45 ? 'put' : roll < 0.6 ? 'del' : 'get';
        const key = `chaos-${crng.int(keyCount)}`;
        const cl = crng.pick(kind === 'get' ? READ_CLS : WRITE_CLS);
        const op: Op = { id: nextId++, client, kind, key, cl, node: '', start: now(), outcome: 'pending' };
        if (kind === 'put') op.value = `c${client}.${++seq}`;
        ops.push(op);
        try {
          if (kind === 'get') {
            const r = await c.get(key, { keyspace: KEYSPACE, cl });
            op.found = r.found;
            if (r.found && r.value !== undefined) {
              op.readValue =
                r.valueEncoding === 'base64' ? Buffer.from(r.value, 'base64').toString() : r.value;
            }
            if (r.timestamp !== undefined) op.timestamp = r.timestamp;
            op.node = r.coordinator;
            op.answeredBy = r.replicas;
          } else {
            const r =
              kind === 'put'
                ? await c.put(key, op.value ?? '', { keyspace: KEYSPACE, cl })
                : await c.del(key, { keyspace: KEYSPACE, cl });
            op.timestamp = r.timestamp;
            op.acks = r.acks;
            op.hinted = r.hinted;
            op.node = r.coordinator;
          }
          op.outcome = 'ok';
        } catch (e) {
          op.outcome = 'error';
          op.code = e instanceof RingkvError ? e.code : 'ERROR';
          op.message = e instanceof Error ? e.message : String(e);
          await sleep(50);
        }
        op.end = now();
      }
    };

    for (let i = 0; i < clientCount; i++)
      clients.push(await RingkvClient.connect(clientOptions(cluster, CLIENT_TIMEOUT_MS)));
    await Promise.all([runFaults(), ...clients.slice(1).map((c, i) => runClient(i + 1, c, rng.fork()))]);

    // ---- heal ----
    console.log(`${(now() / 1000).toFixed(1)} s: healing`);
    const healWallMicros = Date.now() * 1000;
    lab?.healAll();
    for (const n of stopped) await cluster.kill(n, 'SIGCONT');
    for (const n of cluster.nodes) if (!n.child) await cluster.restart(n);
    await sleep(QUIET_MS);
    const healStarted = performance.now();
    const converged = await settled(HEAL_LIMIT_MS);
    if (!converged) {
      for (const n of cluster.nodes) {
        const doc = await admin.sendTo(n.hostId, 'topology', {}).catch((e: unknown) => String(e));
        const seen =
          typeof doc === 'string'
            ? doc
            : doc.nodes.map((x) => `${x.hostId.slice(0, 8)}=${x.state}`).join(' ');
        console.error(
          `  n${n.index} (${n.hostId.slice(0, 8)}, ${n.child ? 'running' : 'not running'}) sees: ${seen}`,
        );
        console.error(
          n.log
            .slice(-8)
            .map((l) => `    ${l}`)
            .join('\n'),
        );
      }
    }
    // A node that does not answer may hold hints: not drained until every node says it has none.
    const hintsLeft = async () => {
      const { hints, unanswered } = await admin.hints();
      return unanswered.length > 0 ? Infinity : hints.reduce((a, h) => a + h.count, 0);
    };
    const drained =
      converged && (await until('hints to drain', async () => (await hintsLeft()) === 0, HEAL_LIMIT_MS));
    const repairFailures: string[] = [];
    // Odd seeds: one node repairs every range; even seeds: every node its primary ranges.
    const allFromOne = seed % 2 === 1;
    for (const n of allFromOne ? cluster.nodes.slice(0, 1) : cluster.nodes) {
      const r = await admin.sendTo(n.hostId, 'repair', {
        keyspace: KEYSPACE,
        primaryRangeOnly: !allFromOne,
        allRanges: allFromOne,
        full: true,
        preview: false,
      });
      for (const f of r.failedRanges) repairFailures.push(`n${n.index}: ${f.reason}`);
    }
    console.log(
      `healed, quiet for ${QUIET_MS / 1000} s, then drained and repaired in ${((performance.now() - healStarted) / 1000).toFixed(1)} s`,
    );

    // ---- what the replicas hold ----
    const finals = new Map<string, ReplicaCell[]>();
    for (let k = 0; k < keyCount; k++) {
      const key = `chaos-${k}`;
      // The replicas' own cells, the verdict, before any read could repair what repair missed.
      const endpoints = await admin.endpoints(key, KEYSPACE);
      const cells: ReplicaCell[] = [];
      for (const replica of endpoints.replicas) {
        const r = await admin.sendTo(replica.hostId, 'replica_read', {
          keyspace: KEYSPACE,
          key: Buffer.from(key),
        });
        cells.push({ hostId: replica.hostId, cell: r.cell });
      }
      finals.set(key, cells);
      // Then read at ALL, as a user would check; it repairs what it reads, so it comes after.
      const at = now();
      const read: Op = {
        id: nextId++,
        client: 0,
        kind: 'get',
        key,
        cl: 'ALL',
        node: '',
        start: at,
        outcome: 'pending',
      };
      try {
        const r = await admin.get(key, { keyspace: KEYSPACE, cl: 'ALL' });
        Object.assign(read, { outcome: 'ok', found: r.found, node: r.coordinator });
        if (r.found && r.value !== undefined) read.readValue = r.value;
        if (r.timestamp !== undefined) read.timestamp = r.timestamp;
      } catch (e) {
        Object.assign(read, { outcome: 'error', code: e instanceof RingkvError ? e.code : 'ERROR' });
      }
      read.end = now();
      ops.push(read);
    }

    const violations = check({ ops: ops.filter((o) => o.outcome !== 'pending'), rf: RF, finals });
    const lost = violations.filter((v) => v.property === 'a');
    const divergent = new Set(violations.filter((v) => v.property === 'c').map((v) => v.key));
    const others = violations.filter((v) => v.property !== 'a' && v.property !== 'c');
    const failed: Record<string, number> = {};
    for (const o of ops)
      if (o.outcome === 'error') failed[o.code ?? 'ERROR'] = (failed[o.code ?? 'ERROR'] ?? 0) + 1;
    const clientOps = ops.filter((o) => o.client > 0);

    console.log('');
    console.log('chaos report');
    console.log(`  seed                        ${seed}`);
    console.log(`  operations                  ${clientOps.length}`);
    console.log(`  acknowledged                ${clientOps.filter((o) => o.outcome === 'ok').length}`);
    console.log(`  failed by error code        ${JSON.stringify(failed)}`);
    console.log(`  faults injected             ${JSON.stringify(faults)}`);
    console.log(
      `  partitions                  ${lab ? `on${lab.oneWay ? '' : ' (no one-way drops: neither nft nor iptables)'}` : 'off'}`,
    );
    console.log(
      `  healed                      ${converged && drained ? 'yes' : 'NO'}${repairFailures.length ? `, repair failed: ${repairFailures.join('; ')}` : ''}`,
    );
    console.log(`  lost acknowledged writes    ${lost.length}`);
    console.log(`  keys divergent after repair ${divergent.size}`);
    // Cells timestamped after healing began: requests that reached a coordinator only then.
    const late = [...finals.values()].filter((cells) =>
      cells.some((c) => c.cell !== undefined && c.cell.timestamp > healWallMicros),
    ).length;
    console.log(`  keys written after healing  ${late}`);
    console.log(`  other violations            ${others.length}`);
    const nodeName = new Map(cluster.nodes.map((n) => [n.hostId, `n${n.index}`]));
    const named = (ids: readonly string[] | undefined) =>
      (ids ?? []).map((h) => nodeName.get(h) ?? h).join(',');
    for (const v of violations) {
      console.log(
        `    (${v.property}) ${PROPERTY_NAMES[v.property]}${v.key ? ` [${v.key}]` : ''}: ${v.message}`,
      );
      // What it takes to tell a bug from a fault: who coordinated, who acked or answered, and when,
      // beside the fault timeline above (times in s since the workload began).
      // A divergence names values, not ops: the puts that wrote them, and the final read at ALL.
      const shown =
        v.property === 'c'
          ? ops
              .filter(
                (o) =>
                  o.key === v.key &&
                  ((o.value !== undefined && v.message.includes(`"${o.value}"`)) || o.client === 0),
              )
              .map((o) => o.id)
          : [...v.message.matchAll(/#(\d+)/g)].map((m) => Number(m[1]));
      for (const id of new Set(shown)) {
        const o = ops.find((x) => x.id === id);
        if (!o) continue;
        const who =
          o.kind === 'get'
            ? `answered by ${named(o.answeredBy)}`
            : `acks ${named(o.acks)} hinted ${named(o.hinted)}`;
        console.log(
          `      #${o.id} client ${o.client} ${o.kind}${o.value !== undefined ? ` "${o.value}"` : ''} at ${o.cl} via ${named([o.node])}, ${who}, ${(o.start / 1000).toFixed(3)}-${((o.end ?? NaN) / 1000).toFixed(3)} s, ${o.outcome}${o.code ? ` ${o.code}: ${o.message ?? ''}` : ''}`,
        );
      }
      if (v.key) {
        const replicas = await admin.endpoints(v.key, KEYSPACE).catch(() => undefined);
        if (replicas)
          console.log(`      replicas of ${v.key}: ${named(replicas.replicas.map((r) => r.hostId))}`);
        for (const { hostId, cell } of v.property === 'c' ? (finals.get(v.key) ?? []) : []) {
          const at = cell ? `${((cell.timestamp - startedWallMicros) / 1e6).toFixed(3)} s` : '-';
          console.log(`      ${named([hostId])} holds a cell timestamped at ${at}`);
        }
      }
    }
    const broken =
      lost.length > 0 ||
      divergent.size > 0 ||
      others.length > 0 ||
      !converged ||
      !drained ||
      repairFailures.length > 0;
    return broken ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(2);
  },
);
