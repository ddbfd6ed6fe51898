import type {
  EndpointsResult,
  GetResult,
  HintSummary,
  KeyspaceInfo,
  PutResult,
  RepairSummary,
  RingEntry,
  StatsResult,
  StatusResult,
  TraceEvent,
} from '../client/api.js';
import {
  failedRangeLines,
  formatAge,
  formatBytes,
  formatReplication,
  statsLines,
  table as tableLines,
} from '../repl/format.js';

/** Columns padded to their widest cell, as one string. */
function table(rows: readonly (readonly string[])[]): string {
  return tableLines(rows).join('\n');
}

/** Plain-text views of the client's results, for people; --json prints the objects themselves. */

export function renderTrace(trace: readonly TraceEvent[] | undefined): string {
  if (!trace || trace.length === 0) return '';
  const lines = trace.map(
    (e) => `  ${(e.at / 1000).toFixed(3).padStart(9)} ms  ${e.node.slice(0, 8).padEnd(8)}  ${e.event}`,
  );
  return `\ntrace:\n${lines.join('\n')}`;
}

export function renderWrite(verb: 'put' | 'del', r: PutResult): string {
  const hinted = r.hinted.length > 0 ? `, hinted for ${r.hinted.join(', ')}` : '';
  return `${verb === 'put' ? 'stored' : 'deleted'} ${r.key} at ${r.cl} (timestamp ${r.timestamp}), acked by ${r.acks.join(', ') || 'none'}${hinted}${renderTrace(r.trace)}`;
}

export function renderRead(r: GetResult): string {
  const body = r.found
    ? `${r.value ?? ''}${r.valueEncoding === 'base64' ? ' (base64)' : ''}\n(timestamp ${r.timestamp}, from ${r.replicas.join(', ')}${r.repaired.length ? `; repaired ${r.repaired.join(', ')}` : ''})`
    : `(not found; asked ${r.replicas.join(', ')})`;
  return body + renderTrace(r.trace);
}

/** A peer's clock against the contact node's, signed; `|| 0` keeps -0.3 from reading "-0". */
function clockOffset(ms: number): string {
  const rounded = Math.round(ms) || 0;
  return `${rounded > 0 ? '+' : ''}${rounded} ms`;
}

export function renderStatus(s: StatusResult): string {
  const rows = [
    ['', 'ADDRESS', 'HOST ID', 'DC', 'RACK', 'STATUS', 'TOKENS', `OWNS (${s.keyspace})`, 'LOAD', 'CLOCK'],
  ];
  for (const n of s.nodes) {
    rows.push([
      n.state === 'UP' ? 'UP' : 'DN',
      n.address,
      n.hostId,
      n.dc,
      n.rack,
      n.streamProgress !== undefined ? `${n.status} ${Math.floor(n.streamProgress * 100)}%` : n.status,
      String(n.tokens),
      `${(n.owns * 100).toFixed(1)}%`,
      formatBytes(n.load),
      n.clockOffsetMs === undefined ? '' : clockOffset(n.clockOffsetMs),
    ]);
  }
  const warnings = s.warnings.map((w) => `warning: ${w}`).join('\n');
  return table(rows) + (warnings ? `\n${warnings}` : '');
}

export function renderRing(entries: readonly RingEntry[]): string {
  return table([['TOKEN', 'HOST ID', 'ADDRESS'], ...entries.map((e) => [e.token, e.hostId, e.address])]);
}

export function renderEndpoints(e: EndpointsResult): string {
  const rows = [
    ['#', 'HOST ID', 'ADDRESS', 'DC', 'RACK', 'STATE'],
    ...e.replicas.map((r, i) => [String(i + 1), r.hostId, r.address, r.dc, r.rack, r.state]),
  ];
  return `key ${e.key} in ${e.keyspace}: token ${e.token}\n${table(rows)}`;
}

export function renderKeyspaces(ks: readonly KeyspaceInfo[]): string {
  return table([['KEYSPACE', 'REPLICATION'], ...ks.map((k) => [k.name, formatReplication(k.replication)])]);
}

export function renderHints(hints: readonly HintSummary[], nowMs: number): string {
  if (hints.length === 0) return 'no pending hints';
  const rows = [['HOLDER', 'TARGET', 'COUNT', 'BYTES', 'OLDEST', '']];
  for (const h of hints) {
    rows.push([
      h.holder,
      h.target,
      String(h.count),
      formatBytes(h.bytes),
      formatAge(nowMs - h.oldest),
      h.pastWindow ? 'past hint window: run repair' : '',
    ]);
  }
  return table(rows);
}

export function renderRepair(r: RepairSummary): string {
  const verb = r.preview ? 'would stream' : 'streamed';
  const lines = [
    `repair of ${r.keyspace}: ${r.ranges} ranges, ${r.mismatched} mismatched, ${verb} ${r.keysStreamed} keys (${formatBytes(r.bytesStreamed)}) in ${(r.durationMs / 1000).toFixed(2)} s`,
  ];
  lines.push(...failedRangeLines(r.failedRanges));
  return lines.join('\n');
}

/** As nodetool proxyhistograms, tpstats and info put together for one node. */
export function renderStats(s: StatsResult): string {
  return statsLines(s).join('\n');
}
