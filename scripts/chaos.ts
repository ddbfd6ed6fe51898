/**
 * npm run chaos [-- --duration 60 --nodes 5 --clients 4 --keys 20 --seed N]
 *
 * Fault injection against real processes: a local cluster of `ringkv start` processes takes a
 * workload from several clients while nodes are SIGKILLed and restarted, and SIGSTOPped and
 * resumed. Then everything heals, hints drain, every node repairs, and the history is checked with
 * the simulation's checker (test/sim/checker.ts). Exits non-zero when an acknowledged write was
 * lost, replicas still diverge, or any other promise was broken.
 *
 * Network partitions (nodes in their own network namespaces, links taken down) are not done here:
 * processes share the loopback interface.
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

const KEYSPACE = 'default';
const RF = 3;
const WRITE_CLS: readonly ConsistencyLevel[] = ['ANY', 'ONE', 'TWO', 'QUORUM', 'ALL'];
const READ_CLS: readonly ConsistencyLevel[] = ['ONE', 'TWO', 'QUORUM', 'ALL'];
/** Fast gossip as in the integration tests: failures are noticed in about 2 s instead of 10. */
const CLUSTER_ARGS = ['--gossip-interval', '200', '--ring-delay', '600'];
/** A client waits this long for a coordinator (which itself times out replicas sooner). */
const CLIENT_TIMEOUT_MS = 3000;
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
  const rng = new Prng(seed);
  console.log(
    `chaos: ${nodeCount} nodes, ${clientCount} clients, ${keyCount} keys, ${durationMs / 1000} s, seed ${seed}`,
  );

  const cluster = new LocalCluster({ args: CLUSTER_ARGS, rootPrefix: 'ringkv-chaos-' });
  const clients: RingkvClient[] = [];
  const cleanup = async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    for (const n of cluster.nodes) await cluster.kill(n, 'SIGCONT');
    await cluster.stopAll();
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    await cluster.start(nodeCount);
    const admin = await RingkvClient.connect(clientOptions(cluster, 120_000));
    clients.push(admin);
    const allUp = async () => {
      for (const n of cluster.nodes) {
        const doc = await admin.sendTo(n.hostId, 'topology', {});
        if (doc.nodes.length < nodeCount || doc.nodes.some((x) => x.state !== 'UP')) return false;
      }
      return true;
    };
    if (!(await until('every node to see every other UP', allUp, 60_000))) return 1;
    console.log(`cluster up: ${cluster.nodes.map((n) => n.address).join(' ')}`);

    // ---- workload under faults ----
    const ops: Op[] = [];
    const faults: Record<string, number> = {};
    const faulty = new Set<LocalNode>();
    const stopped = new Set<LocalNode>();
    const started = performance.now();
    const now = () => performance.now() - started;
    const end = durationMs;
    let nextId = 1;

    const runFaults = async () => {
      const pending: Promise<void>[] = [];
      while (now() < end - 3000) {
        await sleep(rng.range(1000, 4000));
        const healthy = cluster.nodes.filter((n) => !faulty.has(n));
        if (faulty.size >= MAX_FAULTY || healthy.length === 0) continue;
        const victim = rng.pick(healthy);
        const lasts = rng.range(1000, 6000);
        faulty.add(victim);
        if (rng.chance(0.5)) {
          faults.SIGKILL = (faults.SIGKILL ?? 0) + 1;
          console.log(
            `${(now() / 1000).toFixed(1)} s: SIGKILL n${victim.index}, restart in ${(lasts / 1000).toFixed(1)} s`,
          );
          await cluster.kill(victim, 'SIGKILL');
          pending.push(
            sleep(lasts)
              .then(() => cluster.restart(victim))
              .catch((e: unknown) => console.error(`restart of n${victim.index} failed: ${String(e)}`))
              .finally(() => faulty.delete(victim)),
          );
        } else {
          faults.SIGSTOP = (faults.SIGSTOP ?? 0) + 1;
          console.log(
            `${(now() / 1000).toFixed(1)} s: SIGSTOP n${victim.index} for ${(lasts / 1000).toFixed(1)} s`,
          );
          stopped.add(victim);
          await cluster.kill(victim, 'SIGSTOP');
          pending.push(
            sleep(lasts).then(async () => {
              await cluster.kill(victim, 'SIGCONT');
              stopped.delete(victim);
              faulty.delete(victim);
            }),
          );
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
    for (const n of stopped) await cluster.kill(n, 'SIGCONT');
    for (const n of cluster.nodes) if (!n.child) await cluster.restart(n);
    const healStarted = performance.now();
    const converged = await until('every node to see every other UP after healing', allUp, HEAL_LIMIT_MS);
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
    const hintsLeft = async () => (await admin.hints()).reduce((a, h) => a + h.count, 0);
    const drained =
      converged && (await until('hints to drain', async () => (await hintsLeft()) === 0, HEAL_LIMIT_MS));
    const repairFailures: string[] = [];
    for (const n of cluster.nodes) {
      const r = await admin.sendTo(n.hostId, 'repair', {
        keyspace: KEYSPACE,
        primaryRangeOnly: true,
        full: true,
        preview: false,
      });
      for (const f of r.failedRanges) repairFailures.push(`n${n.index}: ${f.reason}`);
    }
    console.log(`healed, drained and repaired in ${((performance.now() - healStarted) / 1000).toFixed(1)} s`);

    // ---- what the replicas hold ----
    const finals = new Map<string, ReplicaCell[]>();
    for (let k = 0; k < keyCount; k++) {
      const key = `chaos-${k}`;
      // Reading at ALL first, as a user would check; the replicas' own cells are the verdict.
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
      `  healed                      ${converged && drained ? 'yes' : 'NO'}${repairFailures.length ? `, repair failed: ${repairFailures.join('; ')}` : ''}`,
    );
    console.log(`  lost acknowledged writes    ${lost.length}`);
    console.log(`  keys divergent after repair ${divergent.size}`);
    console.log(`  other violations            ${others.length}`);
    for (const v of violations)
      console.log(
        `    (${v.property}) ${PROPERTY_NAMES[v.property]}${v.key ? ` [${v.key}]` : ''}: ${v.message}`,
      );
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
