import type { LatencySummary } from '../protocol/latency-recorder.js';
import type { BenchResult } from './runner.js';

const fixed = (ms: number) => ms.toFixed(3);

function percentiles(l: LatencySummary): string {
  return `p50 ${fixed(l.p50)}  p90 ${fixed(l.p90)}  p99 ${fixed(l.p99)}  p99.9 ${fixed(l.p999)}  max ${fixed(l.max)}`;
}

/** The human view of one run: throughput, then the latency percentiles in ms. */
export function renderResult(r: BenchResult): string {
  const how =
    r.mode === 'closed' ? `closed loop, ${r.concurrency} in flight` : `open loop at ${r.targetRate} ops/s`;
  const l = r.latency;
  const after = r.warmupSec !== undefined ? ` after a ${r.warmupSec.toFixed(1)} s warm-up` : '';
  const lines = [
    `workload ${r.workload} (${r.distribution}), ${how}: ${r.ops} ops in ${r.durationSec.toFixed(1)} s${after} (${r.reads} reads, ${r.writes} writes)`,
    `throughput  ${r.throughput.toLocaleString('en-US')} ops/s`,
    `latency ms  ${percentiles(l)}`,
  ];
  // Open loop: latency counts from the intended start; this line from the actual one, so the
  // difference is the time operations waited to start.
  if (r.serviceLatency) lines.push(`service ms  ${percentiles(r.serviceLatency)} (from each actual start)`);
  if (r.errors > 0) {
    const codes = Object.entries(r.errorCodes)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    lines.push(`errors      ${r.errors} (${codes})${r.firstError ? `: first: ${r.firstError}` : ''}`);
  }
  return lines.join('\n');
}
