/**
 * Where a node spends its time under write load: a 3-node cluster whose processes run with
 * --cpu-prof, QUORUM writes from 64 in flight, then the top functions by self time per node.
 * Also prints CPU time per operation of the nodes and the client, which on a busy machine says
 * more about a change than throughput does. Run: npx tsx bench/profile.ts [seconds] [workload] [cl]
 * [--no-prof] [--concurrency N | --rate OPS] [--client-coordinates]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RingkvClient } from '../src/client/client.js';
import { LocalCluster } from '../src/cli/local-cluster.js';
import { parseConsistency } from '../src/protocol/consistency.js';
import { ringkvTarget } from '../src/bench/ringkv-target.js';
import { loadRecords, runLoad } from '../src/bench/runner.js';
import { parseWorkload } from '../src/bench/workload.js';
import { renderResult } from '../src/bench/format.js';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

/** Self time per function, as a share of all samples, heaviest first. */
export function topFunctions(profile: Profile, count: number): { name: string; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (const id of profile.samples) {
    const n = byId.get(id);
    // Waiting for I/O is not work: shares are of the time the node was busy.
    if (!n || n.callFrame.functionName === '(idle)') continue;
    total++;
    const f = n.callFrame;
    const where = f.url
      ? `${f.url.replace(/^.*\/(node_modules\/|dist\/|src\/)/, '$1')}:${f.lineNumber + 1}`
      : '';
    const name = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  return [...self.entries()]
    .map(([name, hits]) => ({ name, share: hits / total }))
    .sort((a, b) => b.share - a.share)
    .slice(0, count);
}

/** Who calls a function, by samples in it: the JS frame that called into each of its nodes. */
export function callersOf(profile: Profile, functionName: string, count: number): string[] {
  const parent = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byCaller = new Map<string, number>();
  for (const n of profile.nodes) {
    // An empty name asks for the anonymous native frames (no script), which V8 shows as "(anonymous)".
    if (n.callFrame.functionName !== functionName || (functionName === '' && n.callFrame.url !== ''))
      continue;
    const chain: string[] = [];
    for (let p = parent.get(n.id); p && chain.length < 4; p = parent.get(p.id)) {
      if (p.callFrame.url !== '') chain.push(p.callFrame.functionName || '(anonymous)');
    }
    const name = chain.join(' < ') || '(outside dist)';
    byCaller.set(name, (byCaller.get(name) ?? 0) + (hits.get(n.id) ?? 0));
  }
  return [...byCaller.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, n]) => `${n} samples: ${name}`);
}

function flag(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : undefined;
}
const concurrency = flag('--concurrency') ?? 64;
// A fixed rate (open loop) makes CPU per op comparable between two builds: in a closed loop a
// faster build also batches differently, and a noisy machine changes both.
const rate = flag('--rate');
const positional = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--concurrency' && all[i - 1] !== '--rate');
const seconds = Number(positional[0] ?? 10);
const workload = parseWorkload(positional[1] ?? 'write');
const cl = parseConsistency(positional[2] ?? 'quorum');
const profiling = !process.argv.includes('--no-prof');

/** User plus system CPU time of a process so far, in ms (Linux /proc). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
const profDir = mkdtempSync(join(tmpdir(), 'ringkv-prof-'));
const cluster = new LocalCluster({ rootPrefix: 'ringkv-prof-' });
const before = process.env.NODE_OPTIONS;
// Node 20 refuses --cpu-prof in NODE_OPTIONS, so a preloaded module runs the profiler instead:
// from SIGUSR2 (sent once the records are loaded) until the process exits.
const hook = join(profDir, 'hook.mjs');
writeFileSync(
  hook,
  `import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 200 });
let started = false;
process.on('SIGUSR2', () => {
  if (!started) session.post('Profiler.start');
  started = true;
});
process.on('exit', () => {
  if (!started) return;
  session.post('Profiler.stop', (err, r) => {
    if (!err) writeFileSync(${JSON.stringify(profDir)} + '/' + process.pid + '.cpuprofile', JSON.stringify(r.profile));
  });
});
`,
);
if (profiling) process.env.NODE_OPTIONS = `${before ?? ''} --import ${hook}`;
try {
  await cluster.start(3);
} finally {
  if (before === undefined) delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = before;
}
try {
  const client = await RingkvClient.connect({
    contactPoints: cluster.addresses(),
    timeoutMs: 5000,
    route: 'token',
    coordination: process.argv.includes('--client-coordinates') ? 'client' : 'node',
    speculativeRetry: { kind: 'percentile', p: 99 },
  });
  for (;;) {
    const status = await client.status('default');
    if (status.nodes.filter((n) => n.state === 'UP' && n.status === 'NORMAL').length === 3) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const target = ringkvTarget(client, 'default', cl);
  // Every run starts from loaded records, as `npm run bench` does: the steady state, not the first touch.
  const loaded = await loadRecords(target, { records: 10_000, valueBytes: 100, concurrency: 64, seed: 1 });
  console.log(`loaded ${loaded.loaded} records, ${loaded.errors} errors ${loaded.firstError ?? ''}`);
  const pids = cluster.nodes.map((n) => n.child?.pid ?? 0);
  if (profiling) for (const pid of pids) process.kill(pid, 'SIGUSR2');
  const nodesBefore = pids.map(cpuMs);
  const clientBefore = process.cpuUsage();
  const result = await runLoad(target, {
    workload,
    distribution: 'zipfian',
    records: 10_000,
    valueBytes: 100,
    mode:
      rate !== undefined
        ? { kind: 'open', rateOpsPerSecond: rate, maxInFlight: 1024 }
        : { kind: 'closed', concurrency },
    stop: { kind: 'duration', ms: seconds * 1000 },
    seed: 1,
  });
  const nodeMs = pids.map((pid, i) => cpuMs(pid) - (nodesBefore[i] ?? 0));
  const clientCpu = process.cpuUsage(clientBefore);
  const clientMs = (clientCpu.user + clientCpu.system) / 1000;
  console.log(renderResult(result));
  const perOp = (ms: number) => ((ms * 1000) / Math.max(1, result.ops)).toFixed(1);
  console.log(
    `cpu per op: nodes ${perOp(nodeMs.reduce((a, b) => a + b, 0))} µs (${nodeMs.map(perOp).join(' + ')}), client ${perOp(clientMs)} µs`,
  );
  await client.close();
} finally {
  // SIGTERM lets each node exit normally, which is when node writes its profile.
  await cluster.stopAll('SIGTERM');
}
for (const file of readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as Profile;
  console.log(`\n${file}: ${profile.samples.length} samples`);
  for (const f of topFunctions(profile, 25))
    console.log(`${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}`);
  for (const name of process.argv.filter((a) => a.startsWith('--callers=')).map((a) => a.slice(10))) {
    console.log(`callers of ${name}:`);
    for (const line of callersOf(profile, name, 6)) console.log(`  ${line}`);
  }
}
rmSync(profDir, { recursive: true, force: true });
