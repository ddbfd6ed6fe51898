import type {
  AlteredKeyspace,
  CleanupResult,
  GetResult,
  HintSummary,
  HintsTruncated,
  UnansweredNode,
  NodeStatus,
  PutResult,
  RepairProgress,
  RepairSummary,
  NodeCleanupEntry,
  NodeStatsEntry,
  StatsResult,
  TraceEvent,
} from '../client/api.js';
import {
  gainedReplicas,
  pendingNote,
  sameReplication,
  unavailableMessage,
  type ConsistencyLevel,
  type DcShortfall,
  type Replication,
} from '../protocol/consistency.js';
import { failureList, missingReplyReasons, RingkvError } from '../protocol/errors.js';
import { readDocument } from '../client/values.js';
import type { ReplResult } from './commands.js';
import { bandText, layoutRing, type RingNode } from './ring-layout.js';

/**
 * Plain-text and JSON views of REPL results, shared by scripted mode and the Ink components
 * (which add colour and layout on top of the same words).
 */

export function shortId(hostId: string): string {
  return hostId.length > 8 ? hostId.slice(0, 8) : hostId;
}

const hostIdPattern = /\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

/** Host ids inside free text (trace events) cut to the short form the other views use. */
export function shortenHostIds(text: string): string {
  return text.replace(hostIdPattern, '$1');
}

/** ws://HOST:PORT without the scheme, for tables and the status line; other schemes stay visible. */
export function hostPort(address: string): string {
  return address.startsWith('ws://') ? address.slice('ws://'.length) : address;
}

export function formatTimestamp(micros: number): string {
  return `${micros} (${new Date(Math.floor(micros / 1000)).toISOString()})`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u] ?? 'TiB'}`;
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(s / 3600);
  return `${h}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Milliseconds below a second, seconds with one decimal above: a repair summary fits 80 columns. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatMicros(micros: number): string {
  return `${(micros / 1000).toFixed(2)} ms`;
}

export function formatReplication(r: Replication): string {
  if (r.strategy === 'simple') return `simple, RF ${r.rf}`;
  return `network, ${Object.entries(r.dcs)
    .map(([dc, n]) => `${dc}:${n}`)
    .join(', ')}`;
}

/**
 * As Cassandra allows, replication may name a data center no node is in yet: it may be about to
 * join. Said, since until then the keyspace has no replicas there.
 */
export function emptyDataCentersNote(
  keyspace: string,
  replication: Replication,
  nodes: readonly { dc: string }[],
): string | undefined {
  if (replication.strategy !== 'network') return undefined;
  const known = new Set(nodes.map((n) => n.dc));
  const empty = Object.entries(replication.dcs)
    .filter(([dc, n]) => n > 0 && !known.has(dc))
    .map(([dc]) => dc);
  if (empty.length === 0) return undefined;
  return `note: no node is in ${empty.join(', ')} yet; ${keyspace} has no replicas there until one joins`;
}

export function alterationLine(r: AlteredKeyspace): string {
  return sameReplication(r.previous, r.replication)
    ? `keyspace ${r.name} already has ${formatReplication(r.replication)}`
    : `altered keyspace ${r.name}: ${formatReplication(r.replication)} (was ${formatReplication(r.previous)})`;
}

/**
 * After an alteration that made some node a replica of data it was not given, what heals it:
 * `repair` is the command that runs the repair where the note is read (a shell, or the REPL).
 */
export function alterationRepairNote(r: AlteredKeyspace, repair: string): string | undefined {
  if (!gainedReplicas(r.previous, r.replication)) return undefined;
  return `note: run \`${repair}\` to stream what is already written to the new replicas`;
}

/**
 * After an alteration that took some node off data it held, what frees its disk: `cleanup` is
 * the command that runs it where the note is read. Losing replicas is gaining them the other way.
 */
export function alterationCleanupNote(r: AlteredKeyspace, cleanup: string): string | undefined {
  if (!gainedReplicas(r.replication, r.previous)) return undefined;
  return `note: the nodes that stopped being replicas keep their copies until \`${cleanup}\` drops them`;
}

export function formatValue(r: GetResult): string {
  if (r.value === undefined) return '';
  return r.valueEncoding === 'base64' ? `base64:${r.value}` : r.value;
}

export interface ErrorView {
  code: RingkvError['code'];
  message: string;
  /** What to try; undefined when the message already says it. */
  hint: string | undefined;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A lower CL the cluster can meet now, if any. */
function lowerLevelFor(alive: number, required: number): ConsistencyLevel | undefined {
  const byCount: [number, ConsistencyLevel][] = [
    [3, 'THREE'],
    [2, 'TWO'],
    [1, 'ONE'],
  ];
  return byCount.find(([n]) => n <= alive && n < required)?.[1];
}

/** A details field that maps hosts to what they said, if it is one and not empty. */
function recordOf(v: unknown): Record<string, unknown> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length === 0)
    return undefined;
  return { ...(v as Record<string, unknown>) };
}

/** What to do about too few live replicas: `replicas` is how many the key has at all. */
function unavailableRemedy(
  alive: number,
  required: number,
  replicas: number | undefined,
  lower: string | undefined,
): string {
  // Every replica is up and still too few: no node to bring back, the cluster is smaller than
  // the keyspace's replication.
  const clusterTooSmall = replicas !== undefined && replicas === alive && replicas < required;
  if (clusterTooSmall && alive === 0)
    return 'no node of the cluster can hold its replicas: add nodes to its data centers';
  if (clusterTooSmall)
    return `only ${count(alive, 'node', 'nodes')} can hold its replicas: ${lower ? `use ${lower}, or ` : ''}add nodes`;
  if (lower) return `use ${lower}, or bring a node back`;
  return 'bring a node back (a write at ANY is kept as a hint)';
}

/** UNAVAILABLE's `dcs` detail, if it is one. */
function dcShortfalls(v: unknown): Record<string, DcShortfall> | undefined {
  const record = recordOf(v);
  if (record === undefined) return undefined;
  const dcs: Record<string, DcShortfall> = {};
  for (const [dc, c] of Object.entries(record)) {
    const { required, alive, replicas } = (c ?? {}) as Partial<DcShortfall>;
    if (typeof required !== 'number' || typeof alive !== 'number' || typeof replicas !== 'number')
      return undefined;
    dcs[dc] = { required, alive, replicas };
  }
  return dcs;
}

/**
 * What to do when a CL that counts by data center (LOCAL_*, EACH_QUORUM) falls short: bring nodes
 * back in the DCs that fell short (add nodes, where even all of them are too few), or use a CL that
 * counts replicas anywhere and that the live ones can meet.
 */
function dcRemedy(dcs: Record<string, DcShortfall>, required: number, pending: number): string {
  const short = Object.entries(dcs).filter(([, c]) => c.alive < c.required);
  const tooSmall = short.filter(([, c]) => c.replicas < c.required).map(([dc]) => dc);
  const down = short.filter(([, c]) => c.replicas >= c.required).map(([dc]) => dc);
  const aliveAnywhere = Object.values(dcs).reduce((sum, c) => sum + c.alive, 0);
  // As many acks as the CL asked for, from wherever they are: LOCAL_ONE falls back to ONE.
  const lower = lowerLevelFor(aliveAnywhere - pending, required - pending + 1);
  const remedies = [
    ...(lower ? [`use ${lower}`] : []),
    ...(down.length > 0
      ? [`bring a node back in ${down.join(' and ')}${lower ? '' : ' (a write at ANY is kept as a hint)'}`]
      : []),
    ...(tooSmall.length > 0 ? [`add nodes to ${tooSmall.join(' and ')}`] : []),
  ];
  if (remedies.length === 0) return 'bring a node back (a write at ANY is kept as a hint)';
  return remedies.length === 1
    ? (remedies[0] as string)
    : `${remedies.slice(0, -1).join(', ')}, or ${remedies.at(-1) as string}`;
}

/** A repair under way: ranges done (and failed), keys streamed (a preview streams none: to stream). */
export function repairProgressText(p: RepairProgress, preview = false): string {
  const failed = p.rangesFailed ? ` (${p.rangesFailed} failed)` : '';
  return `${p.rangesDone}/${p.ranges} ranges${failed}, ${p.keysStreamed} keys ${preview ? 'to stream' : 'streamed'}`;
}

/**
 * A progress bar's cells: ranges repaired, ranges that failed (drawn apart, so that a repair of
 * failed ranges never shows as a full green bar) and ranges still to do. A failure takes a cell
 * however few ranges failed.
 */
export function barCells(
  p: RepairProgress | undefined,
  barWidth: number,
): { repaired: number; failed: number; todo: number } {
  const total = p?.ranges ?? 0;
  if (!p || total === 0) return { repaired: 0, failed: 0, todo: barWidth };
  const done = Math.round((Math.min(p.rangesDone, total) / total) * barWidth);
  const failedRanges = p.rangesFailed ?? 0;
  const failed =
    failedRanges > 0 ? Math.min(done, Math.max(1, Math.round((failedRanges / total) * barWidth))) : 0;
  return { repaired: done - failed, failed, todo: barWidth - done };
}

/** An error in the user's terms: what happened, from the details the coordinator sent, and what to try. */
export function describeError(err: RingkvError): ErrorView {
  const d = err.details;
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const cl = typeof d.cl === 'string' ? d.cl : undefined;
  const required = num(d.required);
  // Pending replicas (a node joining or taking over a range) must ack on top of any CL's count,
  // so the CL to suggest is one whose count the natural replicas can meet alone.
  const pending = num(d.pending) ?? 0;
  const joining = pendingNote(pending);
  switch (err.code) {
    case 'UNAVAILABLE': {
      const alive = num(d.alive);
      // Without the counts it is not about a CL (a join with no source, a repair with a replica
      // down), and the message says what to do.
      if (required === undefined || alive === undefined)
        return { code: err.code, message: err.message, hint: undefined };
      const dcs = dcShortfalls(d.dcs);
      return {
        code: err.code,
        message: unavailableMessage(cl ?? 'this consistency level', required, alive, pending, dcs),
        hint:
          (dcs
            ? dcRemedy(dcs, required, pending)
            : unavailableRemedy(
                alive,
                required,
                num(d.replicas),
                lowerLevelFor(alive - pending, required - pending),
              )) +
          (pending > 0
            ? '; a node that died while joining stays pending until "ringkv removenode HOST_ID"'
            : ''),
      };
    }
    case 'WRITE_TIMEOUT':
    case 'READ_TIMEOUT': {
      const received = num(d.received);
      const write = err.code === 'WRITE_TIMEOUT';
      // Replicas whose connection was lost (the coordinator stopped waiting for them at once), and
      // replicas that answered a read with an error.
      const why = missingReplyReasons(recordOf(d.unreachable), recordOf(d.failures));
      const what =
        required === undefined || received === undefined
          ? err.message
          : `${cl ? `${cl} ` : ''}${write ? 'write' : 'read'}${why.length > 0 ? '' : ' timed out'}: ${received} of the ${count(required, 'replica', 'replicas')} it needs${joining} ${write ? 'acknowledged' : 'answered'}${why.map((w) => `; ${w}`).join('')}`;
      const message =
        write && !/may have been applied/.test(what) ? `${what}; the write may have been applied` : what;
      const lower =
        received === undefined || required === undefined
          ? undefined
          : lowerLevelFor(received - pending, required - pending);
      return {
        code: err.code,
        message,
        hint: write
          ? `read it back before retrying${lower ? `, or use ${lower}` : ''}`
          : `retry${lower ? `, or use ${lower}` : ''}`,
      };
    }
    case 'WRITE_FAILURE': {
      const received = num(d.received);
      const failures = recordOf(d.failures);
      if (required === undefined || received === undefined || failures === undefined) {
        return { code: err.code, message: err.message, hint: 'read it back before retrying' };
      }
      const lower = lowerLevelFor(received - pending, required - pending);
      return {
        code: err.code,
        message: `${cl ? `${cl} ` : ''}write failed: ${received} of the ${count(required, 'replica', 'replicas')} it needs${joining} acknowledged; ${failureList(failures)}; the write may have been applied`,
        hint: `read it back before retrying${lower ? `, or use ${lower}` : ''}`,
      };
    }
    case 'NO_HOST_AVAILABLE':
      return {
        code: err.code,
        message: err.message,
        // A LOCAL_* request whose DC has no node to coordinate it: the cluster may be fine elsewhere.
        hint:
          d.inFlight === true
            ? 'read the key to see whether it was, or write it again'
            : typeof d.dc === 'string'
              ? `bring a node of ${d.dc} back, name another data center with --local-dc, or use a CL that is not LOCAL_*`
              : typeof d.timeoutMs === 'number'
                ? `raise --timeout (${d.timeoutMs} ms), or check that the node is not overloaded or paused`
                : 'start a node with "ringkv start", or pass --node ws://HOST:PORT of a running one',
      };
    case 'UNAUTHORIZED':
      return {
        code: err.code,
        message: err.message,
        // The secret is the usual cause; a node of another cluster is the other.
        hint:
          typeof d.clusterName === 'string'
            ? `pass --cluster-name ${d.clusterName}, or --node of a node of your cluster`
            : 'check --secret or RINGKV_SECRET',
      };
    case 'OVERLOADED':
      return { code: err.code, message: err.message, hint: 'retry later, or send less at once' };
    case 'NOT_FOUND': {
      const known = Array.isArray(d.known)
        ? d.known.filter((k): k is string => typeof k === 'string')
        : undefined;
      return {
        code: err.code,
        message: err.message,
        hint: known
          ? known.length > 0
            ? `use one of: ${known.join(', ')}, or create it (help create)`
            : 'no keyspace exists: create one (help create)'
          : undefined,
      };
    }
    default:
      return { code: err.code, message: err.message, hint: undefined };
  }
}

/** A reason this many ranges share or fewer gets a line per range; more, one line for them all. */
const MAX_RANGES_LISTED = 3;

/** A repair that left ranges unrepaired failed, though it did the rest: the error that says so. */
export function unrepairedError(summary: RepairSummary): RingkvError | undefined {
  const failed = summary.failedRanges.length;
  if (failed === 0) return undefined;
  return new RingkvError(
    'REFUSED',
    `${failed} range(s) could not be repaired: bring the replicas back and run repair again`,
    { ...summary },
  );
}

/** A cleanup that some node did not run failed, though the others did theirs: the error that says so. */
export function uncleanedError(entries: readonly NodeCleanupEntry[]): RingkvError | undefined {
  const failed = entries.filter((e) => 'error' in e);
  if (failed.length === 0) return undefined;
  // REFUSED as a repair with failed ranges: the contact answered, the cluster did part of it.
  const why = codesOf(failed);
  return new RingkvError(
    'REFUSED',
    `cleanup did not run on ${failed.length} node(s) (${why}): bring them back, or let them finish joining or leaving, and run cleanup again`,
    { nodes: failed.map((e) => ({ hostId: e.hostId, ...e.error })) },
  );
}

/** "2ee0d1dd: UNAVAILABLE, 79b8ac3e: OVERLOADED": who did not answer a round of every node, and how. */
function codesOf(nodes: readonly UnansweredNode[]): string {
  return nodes.map((u) => `${shortId(u.hostId)}: ${u.error.code}`).join(', ');
}

/** Why a node's hints are not in a listing: it is down, or did not answer. */
export function unansweredHintsLine(u: UnansweredNode): string {
  const why = u.error.code === 'UNAVAILABLE' ? 'is down' : `did not answer (${u.error.message})`;
  return `${shortId(u.hostId)} at ${u.address} ${why}: the hints it holds are not listed`;
}

/**
 * A truncate that some node did not confirm failed, though the others dropped theirs: a down node
 * kept its hints, and one that did not answer in time may or may not have dropped them.
 */
export function untruncatedError(r: HintsTruncated): RingkvError | undefined {
  if (r.unanswered.length === 0) return undefined;
  const why = codesOf(r.unanswered);
  return new RingkvError(
    'REFUSED',
    `${r.unanswered.length} node(s) did not confirm dropping their hints (${why}): run hints truncate again once they are up, or removenode those that are gone`,
    { truncated: r.truncated, unanswered: r.unanswered },
  );
}

/**
 * A result that is also a failure, for a script's exit status: a repair with failed ranges, a
 * cleanup that some node did not run.
 */
export function resultFailure(r: ReplResult): RingkvError | undefined {
  if (r.kind === 'repair') return unrepairedError(r.summary);
  if (r.kind === 'cleanup') return uncleanedError(r.nodes);
  return undefined;
}

/** What a node's cleanup dropped, per keyspace, and how long it took; `node` names the node. */
export function cleanupLine(r: CleanupResult, node: string): string {
  const per = r.keyspaces.map((k) => `${k.dropped} in ${k.keyspace}`).join(', ');
  return `cleanup of ${node}: dropped ${r.dropped} cell${r.dropped === 1 ? '' : 's'} it no longer replicates (${per}) in ${(r.durationMs / 1000).toFixed(2)} s`;
}

/**
 * The ranges a repair could not do. A replica that is down fails every range it holds, and a line
 * for each (48 on three nodes) would bury the reason; `--json` still lists every range.
 */
export function failedRangeLines(failed: RepairSummary['failedRanges']): string[] {
  const byReason = new Map<string, RepairSummary['failedRanges'][number][]>();
  for (const f of failed) {
    const ranges = byReason.get(f.reason);
    if (ranges === undefined) byReason.set(f.reason, [f]);
    else ranges.push(f);
  }
  const lines: string[] = [];
  for (const [reason, ranges] of byReason) {
    const [first] = ranges;
    if (first === undefined) continue;
    if (ranges.length <= MAX_RANGES_LISTED) {
      for (const f of ranges) lines.push(`failed range (${f.start}, ${f.end}]: ${reason}`);
    } else {
      lines.push(
        `failed ${ranges.length} ranges, (${first.start}, ${first.end}] and ${ranges.length - 1} more: ${reason}`,
      );
    }
  }
  return lines;
}

/** One line, as the oclif commands print on stderr, with what to try appended. */
export function errorLine(err: RingkvError): string {
  const v = describeError(err);
  return `error ${v.code}: ${v.message}${v.hint ? `: ${v.hint}` : ''}`;
}

export function errorJson(err: RingkvError): { error: Record<string, unknown> } {
  const wire = err.toWire();
  const hint = describeError(err).hint;
  return { error: hint ? { ...wire, hint } : wire };
}

/** The JSON document the matching oclif command prints (CLI.md); undefined for exit. */
export function resultJson(r: ReplResult): unknown {
  switch (r.kind) {
    case 'write':
      return r.result;
    case 'get':
      return readDocument(r.result);
    case 'consistency':
      return { consistency: r.cl };
    case 'tracing':
      return { tracing: r.on };
    case 'use':
      return { keyspace: r.keyspace.name, replication: r.keyspace.replication };
    case 'keyspaces':
      return { keyspaces: r.keyspaces };
    case 'create':
      return r.keyspace;
    case 'alter':
      return r.altered;
    case 'status':
      return r.status;
    case 'ring':
      return r.endpoints ? { ring: r.ring, ...r.endpoints } : { ring: r.ring };
    case 'endpoints':
      return r.endpoints;
    case 'hints':
      return { hints: r.hints, unanswered: r.unanswered };
    case 'stats':
      return { nodes: r.nodes };
    case 'cleanup':
      return { keyspace: r.keyspace, nodes: r.nodes };
    case 'repair':
      return r.summary;
    case 'help':
      return { help: r.topics.map((t) => ({ command: t.name, usage: t.usage, summary: t.summary })) };
    case 'clear':
    case 'exit':
      return undefined;
  }
}

export function replicaList(ids: readonly string[]): string {
  return ids.length === 0 ? 'none' : ids.map(shortId).join(', ');
}

export function writeLine(op: 'put' | 'del', r: PutResult): string {
  const hinted = r.hinted.length > 0 ? `, hinted for ${replicaList(r.hinted)}` : '';
  const what = op === 'put' ? 'written' : 'deleted';
  return `${r.key} ${what} at ${r.cl}, timestamp ${formatTimestamp(r.timestamp)}, acked by ${replicaList(r.acks)}${hinted}`;
}

export function getLine(r: GetResult): string {
  const repaired = r.repaired.length > 0 ? `, repaired ${replicaList(r.repaired)}` : '';
  const from = `${r.cl}, replicas ${replicaList(r.replicas)}${repaired}`;
  if (!r.found) return `${r.key}: not found (${from})`;
  const ts = r.timestamp === undefined ? '' : `timestamp ${formatTimestamp(r.timestamp)}, `;
  return `${r.key} = ${formatValue(r)} (${ts}${from})`;
}

export interface WaterfallRow {
  event: TraceEvent;
  /** The event text with host ids shortened. */
  text: string;
  /** Columns from the left edge of the bar area. */
  offset: number;
  length: number;
}

const latencyPattern = /\bafter (\d+(?:\.\d+)?) ms\b/;

/**
 * One row per event, in time order, on a shared time axis. An event that reports how long it
 * waited (a replica's ack or reply "after N ms", a timeout, the coordinator's answer) is a bar
 * from when the wait began to when it ended, so the replicas' latencies line up as a waterfall;
 * any other event is a tick at its time.
 */
export function waterfall(trace: readonly TraceEvent[], barWidth: number): WaterfallRow[] {
  if (barWidth < 1) throw new Error(`waterfall width must be positive, got ${barWidth}`);
  const events = [...trace].sort((a, b) => a.at - b.at);
  const total = Math.max(1, events[events.length - 1]?.at ?? 1);
  const span = barWidth - 1;
  const col = (at: number) => Math.min(span, Math.max(0, Math.round((at / total) * span)));
  return events.map((event) => {
    const waitedMs = Number(latencyPattern.exec(event.event)?.[1] ?? 0);
    const start = col(event.at - waitedMs * 1000);
    const end = col(event.at);
    return { event, text: shortenHostIds(event.event), offset: start, length: end - start + 1 };
  });
}

/** Width of the bars in plain text. */
const plainBarWidth = 20;

export function traceLines(trace: readonly TraceEvent[]): string[] {
  const nodeWidth = Math.max(4, ...trace.map((e) => shortId(e.node).length));
  return waterfall(trace, plainBarWidth).map(
    (row) =>
      `  ${formatMicros(row.event.at).padStart(10)}  ${shortId(row.event.node).padEnd(nodeWidth)}  ${barText(row, plainBarWidth)}  ${row.text}`,
  );
}

/** A row's bar in its lane: blanks, then the bar. */
export function barText(row: WaterfallRow, barWidth: number, bar = '#'): string {
  return `${' '.repeat(row.offset)}${bar.repeat(row.length)}`.padEnd(barWidth);
}

/** Cells padded to their column's widest cell (the last column is left as it is). */
export function padColumns(rows: readonly (readonly string[])[]): string[][] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))));
}

/** Columns padded to their widest cell. */
export function table(rows: readonly (readonly string[])[]): string[] {
  return padColumns(rows).map((row) => row.join('  ').trimEnd());
}

/** As nodetool status: one row per node, narrow enough for 80 columns. */
export const statusHeader = ['STATE', 'STATUS', 'ADDRESS', 'HOST ID', 'DC/RACK', 'TOKENS', 'OWNS', 'LOAD'];

export function statusRow(n: NodeStatus): string[] {
  return [
    n.state,
    n.streamProgress !== undefined ? `${n.status} ${Math.floor(n.streamProgress * 100)}%` : n.status,
    hostPort(n.address),
    shortId(n.hostId),
    `${n.dc}/${n.rack}`,
    String(n.tokens),
    formatPercent(n.owns),
    formatBytes(n.load),
  ];
}

export function hintRow(h: HintSummary, asOfMs: number): string[] {
  return [
    shortId(h.holder),
    shortId(h.target),
    String(h.count),
    formatBytes(h.bytes),
    formatAge(asOfMs - h.oldest),
    h.pastWindow ? 'PAST WINDOW: repair' : '',
  ];
}

export const hintHeader = ['HOLDER', 'TARGET', 'HINTS', 'BYTES', 'OLDEST', ''];

/** Width of the ring band in plain text. */
const plainRingWidth = 64;

/** Plain-text lines of a result; most results are one line, listings one line per row. */
export function resultLines(r: ReplResult): string[] {
  switch (r.kind) {
    case 'write':
      return [writeLine(r.op, r.result), ...traceLines(r.result.trace ?? [])];
    case 'get':
      return [getLine(r.result), ...traceLines(r.result.trace ?? [])];
    case 'consistency':
      return [r.changed ? `consistency set to ${r.cl}` : `consistency is ${r.cl}`];
    case 'tracing':
      return [r.changed ? `tracing ${r.on ? 'on' : 'off'}` : `tracing is ${r.on ? 'on' : 'off'}`];
    case 'use':
      return [`using keyspace ${r.keyspace.name} (${formatReplication(r.keyspace.replication)})`];
    case 'keyspaces':
      return table(
        r.keyspaces.map((k) => [k.name === r.current ? '*' : ' ', k.name, formatReplication(k.replication)]),
      );
    case 'create':
      return [
        `created keyspace ${r.keyspace.name} (${formatReplication(r.keyspace.replication)})`,
        ...r.notes,
      ];
    case 'alter':
      return [alterationLine(r.altered), ...r.notes];
    case 'status':
      return [
        ...table([statusHeader, ...r.status.nodes.map(statusRow)]),
        ...r.status.warnings.map((w) => `warning: ${w}`),
      ];
    case 'ring': {
      const layout = layoutRing(r.ring, r.status, plainRingWidth, r.endpoints);
      const lines = [`|${bandText(layout)}|`];
      if (layout.mark) lines.push(` ${' '.repeat(layout.mark.column)}^ ${layout.mark.key}`);
      lines.push(...table(layout.nodes.map(ringLegendRow)));
      if (layout.mark) lines.push(endpointsLine(layout.mark));
      return lines;
    }
    case 'endpoints':
      return [endpointsLine(r.endpoints)];
    case 'hints':
      return [
        ...(r.hints.length === 0
          ? ['no hints']
          : table([hintHeader, ...r.hints.map((h) => hintRow(h, r.asOfMs))])),
        ...r.unanswered.map((u) => `note: ${unansweredHintsLine(u)}`),
      ];
    case 'repair':
      return [repairLine(r), ...failedRangeLines(r.summary.failedRanges)];
    case 'stats':
      return statsTable(r.nodes);
    case 'cleanup':
      return r.nodes.map((e) =>
        'error' in e
          ? `cleanup of ${shortId(e.hostId)}: not run: ${e.error.code}: ${e.error.message}`
          : cleanupLine(e, shortId(e.hostId)),
      );
    case 'help':
      return helpLines(r);
    case 'clear':
    case 'exit':
      return [];
  }
}

/**
 * A text's words in lines of at most `width` columns; a word longer than that has a line of its
 * own. Infinity, as for a script, leaves the text on one line.
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** Below this many columns a summary goes under its usage rather than beside it. */
const minSummaryColumns = 24;

/**
 * The list of commands, usage beside what each does, then the notes; or one command's usage and
 * help. In `width` columns: a summary that does not fit wraps under itself, not to column 0.
 */
export function helpLines(r: Extract<ReplResult, { kind: 'help' }>, width = Infinity): string[] {
  if (r.detailed) return r.topics.flatMap((t) => [`usage: ${t.usage}`, ...wrapWords(t.help, width)]);
  const usageWidth = Math.max(0, ...r.topics.map((t) => t.usage.length));
  const beside = width - usageWidth - 2 >= minSummaryColumns;
  const rows = r.topics.flatMap((t) => {
    if (!beside) return [t.usage, ...wrapWords(t.summary, width - 4).map((l) => `    ${l}`)];
    const [first = '', ...rest] = wrapWords(t.summary, width - usageWidth - 2);
    return [
      `${t.usage.padEnd(usageWidth)}  ${first}`,
      ...rest.map((l) => `${' '.repeat(usageWidth + 2)}${l}`),
    ];
  });
  return [...rows, ...r.notes.flatMap((n) => ['', ...wrapWords(n, width)])];
}

/**
 * Which columns of a table fit in `width`: whole columns are left out, in `dropOrder` (groups of
 * indices that go together, the least useful first), until its rows do, since rows that wrap are
 * unreadable. `extra` counts what a row adds around the cells. Returns the indices kept, in order.
 */
export function columnsThatFit(
  rows: readonly (readonly string[])[],
  width: number,
  dropOrder: readonly (readonly number[])[],
  extra = 0,
): number[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  let kept = widths.map((_, i) => i);
  const rowWidth = () => kept.reduce((n, i) => n + (widths[i] ?? 0), 0) + 2 * (kept.length - 1) + extra;
  for (const group of dropOrder) {
    if (rowWidth() <= width) break;
    kept = kept.filter((i) => !group.includes(i));
  }
  return kept;
}

/** A node in the ring's legend: where it is, how many vnodes, and how much of the ring it holds. */
export function ringLegendRow(n: RingNode): string[] {
  return [
    n.letter,
    hostPort(n.address),
    n.state ?? '?',
    n.location ?? '',
    `${n.vnodes} vnodes`,
    `primary ${formatPercent(n.primary)}`,
    n.owns === undefined ? '' : `owns ${formatPercent(n.owns)}`,
  ];
}

export function endpointsLine(e: {
  key: string;
  token: string;
  replicas: readonly { address: string; state: 'UP' | 'DOWN' }[];
}): string {
  const replicas = e.replicas.map((r) => `${hostPort(r.address)} (${r.state})`).join(', ') || 'none';
  return `${e.key}: token ${e.token}, replicas ${replicas}`;
}

function repairLine(r: Extract<ReplResult, { kind: 'repair' }>): string {
  const s = r.summary;
  const verb = s.preview ? 'would stream' : 'streamed';
  return `repair of ${s.keyspace}: ${s.ranges} ranges, ${s.mismatched} mismatched, ${s.keysStreamed} keys (${formatBytes(s.bytesStreamed)}) ${verb} in ${formatDuration(s.durationMs)}`;
}

function failedText(failed: Record<string, number>): string {
  const entries = Object.entries(failed).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((n, [, c]) => n + c, 0);
  return total === 0 ? '0' : `${total} (${entries.map(([code, n]) => `${code} ${n}`).join(', ')})`;
}

/** Writes per synced batch: how much group commit groups. */
function perSync(s: StatsResult): string {
  return s.storage.syncs > 0 ? (s.storage.writes / s.storage.syncs).toFixed(1) : '0';
}

function failures(s: StatsResult): number {
  return [s.coordinator.writes.failed, s.coordinator.reads.failed]
    .flatMap((f) => Object.values(f))
    .reduce((a, b) => a + b, 0);
}

/** A node's counters, as nodetool proxyhistograms, tpstats and info put together. */
export function statsLines(s: StatsResult): string[] {
  const { writes, reads, readRepairs } = s.coordinator;
  const row = (name: string, r: StatsResult['coordinator']['writes']) => [
    name,
    String(r.requests),
    failedText(r.failed),
    ...[r.latency.p50, r.latency.p90, r.latency.p99, r.latency.max].map((ms) => ms.toFixed(2)),
  ];
  return [
    `${s.hostId} (${hostPort(s.address)}), up ${formatAge(s.uptimeMs)}; latency of the last minute or two`,
    ...table([
      ['COORDINATED', 'REQUESTS', 'FAILED', 'P50 MS', 'P90 MS', 'P99 MS', 'MAX MS'],
      row('writes', writes),
      row('reads', reads),
    ]),
    `read repairs: ${readRepairs} replica${readRepairs === 1 ? '' : 's'} repaired by reads this node coordinated`,
    `as a replica: ${s.replica.writes} cell${s.replica.writes === 1 ? '' : 's'} written, ${s.replica.reads} read`,
    `hints: ${s.hints.stored} stored here, ${s.hints.delivered} delivered`,
    `storage: ${s.storage.writes} writes in ${s.storage.syncs} synced batches (${perSync(s)} per batch, at most ${s.storage.largestGroup})`,
    ...(s.rowCache ? [rowCacheLine(s.rowCache)] : []),
  ];
}

/** How full the row cache is and how often it spared a storage read: what `--row-cache-mb` is sized by. */
function rowCacheLine(c: NonNullable<StatsResult['rowCache']>): string {
  if (c.capacityBytes === 0) return 'row cache: off (--row-cache-mb 0): every write reads storage first';
  const lookups = c.hits + c.misses;
  const hitRate =
    lookups === 0 ? 'no lookups yet' : `${formatPercent(c.hits / lookups)} of ${lookups} lookups hit`;
  return `row cache: ${c.rows} row${c.rows === 1 ? '' : 's'}, ${formatBytes(c.bytes)} of ${formatBytes(c.capacityBytes)}; ${hitRate}`;
}

/** Every node's counters in one row each: the header. */
const statsHeader = [
  'NODE',
  'WRITES',
  'P50 MS',
  'P99 MS',
  'READS',
  'P50 MS',
  'P99 MS',
  'FAILED',
  'REPAIRED',
  'REPLICA W/R',
  'HINTS IN/OUT',
  'PER SYNC',
];

/** The columns as the note of those left out names them: two headers are P50 MS. */
const statsColumnNames = [
  'NODE',
  'WRITES',
  'write P50',
  'write P99',
  'READS',
  'read P50',
  'read P99',
  'FAILED',
  'REPAIRED',
  'REPLICA W/R',
  'HINTS IN/OUT',
  'PER SYNC',
];

/**
 * What a narrow terminal leaves out first: how much group commit groups and the replica counts,
 * then both medians (the p99s stay), hints and read repairs. Requests and failures always stay.
 */
const statsDropOrder = [[11], [9], [2, 5], [10], [8]];

/**
 * Every node's counters in one row each (ringkv stats --all, and the REPL's stats). In `width`
 * columns some columns are left out, and a last line names them.
 */
export function statsTable(entries: readonly NodeStatsEntry[], width = Infinity): string[] {
  const answered = entries.filter((e): e is StatsResult => !('error' in e));
  const rows = [
    statsHeader,
    ...answered.map((e) => {
      const { writes, reads, readRepairs } = e.coordinator;
      return [
        shortId(e.hostId),
        String(writes.requests),
        writes.latency.p50.toFixed(2),
        writes.latency.p99.toFixed(2),
        String(reads.requests),
        reads.latency.p50.toFixed(2),
        reads.latency.p99.toFixed(2),
        String(failures(e)),
        String(readRepairs),
        `${e.replica.writes}/${e.replica.reads}`,
        `${e.hints.stored}/${e.hints.delivered}`,
        perSync(e),
      ];
    }),
  ];
  const kept = columnsThatFit(rows, width, statsDropOrder);
  const lines = table(rows.map((row) => kept.map((i) => row[i] ?? '')));
  // A node that gave no answer says why across the row, in its place in the order of status.
  const nodeWidth = Math.max(4, ...entries.map((e) => shortId(e.hostId).length));
  let next = 1;
  const left = statsColumnNames.filter((_, i) => !kept.includes(i));
  return [
    lines[0] as string,
    ...entries.map((e) =>
      'error' in e
        ? `${shortId(e.hostId).padEnd(nodeWidth)}  no answer: ${e.error.code}`
        : (lines[next++] as string),
    ),
    ...(left.length > 0 ? wrapWords(`not shown at this width: ${left.join(', ')}`, width) : []),
  ];
}
