import { PROPERTY_NAMES, type JournalEntry, type Op } from './history.js';
import { LATEST_ERA, type SimEra } from './era.js';
import type { Scenario, SimResult } from './run.js';

const ms = (t: number | undefined) => (t === undefined ? '?' : t.toFixed(1));

function describeOp(op: Op): string {
  const what = op.kind === 'put' ? `put ${JSON.stringify(op.value)}` : op.kind === 'del' ? 'del' : 'get';
  const extras = [
    op.ttl !== undefined ? `ttl ${op.ttl} s` : '',
    op.clientTimestamp ? `client timestamp ${op.timestamp}` : '',
  ].filter(Boolean);
  const view = [
    op.replicas ? `replicas [${op.replicas.join(' ')}]` : '',
    op.lagging ? `view lags on [${op.lagging.join(' ')}]` : '',
  ].filter(Boolean);
  const head = `#${op.id} client ${op.client} ${what}${extras.length ? ` (${extras.join(', ')})` : ''} at ${op.cl} via ${op.node}${view.length ? ` (${view.join(', ')})` : ''}`;
  let tail: string;
  if (op.outcome === 'ok' && op.kind === 'get') {
    tail = op.found ? `found ${JSON.stringify(op.readValue)} @${op.timestamp}` : 'not found';
  } else if (op.outcome === 'ok') {
    tail = `ok @${op.timestamp} acks [${(op.acks ?? []).join(' ')}]${op.hinted?.length ? ` hinted [${op.hinted.join(' ')}]` : ''}`;
  } else if (op.outcome === 'error') {
    tail = `${op.code}: ${op.message}`;
  } else {
    tail = op.outcome === 'timeout' ? 'no answer (client gave up; may or may not be applied)' : 'pending';
  }
  return `${head} -> ${tail}`;
}

/** One line per run. */
export function summaryLine(r: SimResult, wallMs: number): string {
  const s = r.stats;
  const verdict = r.violations.length === 0 ? 'ok' : `FAILED (${r.violations.length} violation(s))`;
  const changes = s.scenario === 'membership' ? `, ${s.membershipChanges} membership change(s)` : '';
  return `seed ${r.seed}: ${verdict} - ${s.nodes} nodes, ${s.ops} ops (${s.acknowledged} acked), faults ${JSON.stringify(s.faults)}${changes}, ${s.events} events, ${(s.virtualMs / 1000).toFixed(1)} s virtual in ${wallMs.toFixed(0)} ms`;
}

/** What a person needs to see to understand a failure: the violations, the faults, and the failing key's history. */
export function failureTrace(r: SimResult): string {
  const lines: string[] = [];
  lines.push(`seed ${r.seed} violates:`);
  for (const v of r.violations)
    lines.push(
      `  (${v.property}) ${PROPERTY_NAMES[v.property]}${v.key ? ` [key ${v.key}]` : ''}: ${v.message}`,
    );
  const key = r.violations.find((v) => v.key !== undefined)?.key;
  lines.push('', ...journalLines(r.journal));
  if (key !== undefined) {
    lines.push('', `history of key ${key} (start-end, virtual ms):`);
    for (const op of r.ops.filter((o) => o.key === key)) {
      lines.push(`  ${ms(op.start).padStart(8)}-${ms(op.end).padEnd(8)} ${describeOp(op)}`);
    }
    const moves = r.moves.filter((m) => m.key === key);
    if (moves.length > 0) {
      lines.push('', `membership changes that moved ${key} (start-end, virtual ms):`);
      for (const m of moves)
        lines.push(
          `  ${ms(m.start).padStart(8)}-${ms(m.end).padEnd(8)} ${m.kind} ${m.hostId}: [${m.from.join(' ')}] gave it to [${m.to.join(' ')}]`,
        );
    }
    lines.push('', `replicas of ${key} after healing and repair:`);
    for (const c of r.finals.get(key) ?? []) {
      const cell = c.cell;
      const shown = !cell
        ? 'nothing'
        : cell.value === null
          ? `tombstone @${cell.timestamp}`
          : `${JSON.stringify(Buffer.from(cell.value).toString())} @${cell.timestamp}`;
      lines.push(`  ${c.hostId}: ${shown}`);
    }
  }
  lines.push(...closingLines({ seed: r.seed, scenario: r.stats.scenario, era: r.stats.era, logs: r.logs }));
  return lines.join('\n');
}

/**
 * A run that stopped before its checks, because a phase never finished (the cluster stuck, or the
 * simulation itself): the seed, what stopped it, what happened until then, and how to replay it.
 */
export function stoppedTrace(run: RunSoFar, error: unknown): string {
  return [
    `seed ${run.seed} stopped: ${error instanceof Error ? error.message : String(error)}`,
    '',
    ...journalLines(run.journal),
    ...closingLines(run),
  ].join('\n');
}

/** What every run has from its start, finished or not. */
export interface RunSoFar {
  seed: number;
  scenario: Scenario;
  era: SimEra;
  journal: readonly JournalEntry[];
  /** Node logs, collected under --verbose. */
  logs: readonly string[];
}

function journalLines(journal: readonly JournalEntry[]): string[] {
  return [
    'what happened to the cluster (virtual ms):',
    ...journal.map((j) => `  ${ms(j.at).padStart(8)}  ${j.text}`),
  ];
}

/** The node logs when collected, then how to replay the seed. */
function closingLines({ seed, scenario, era, logs }: Omit<RunSoFar, 'journal'>): string[] {
  const given = [
    scenario === 'membership' ? '--membership' : '',
    era === LATEST_ERA ? '' : `--era ${era}`,
  ].filter(Boolean);
  return [
    ...(logs.length > 0 ? ['', 'node logs:', ...logs.map((l) => `  ${l}`)] : []),
    '',
    `replay: SEED=${seed} npm run sim${given.length > 0 ? ` -- ${given.join(' ')}` : ''}${logs.length > 0 ? '' : `  (add ${given.length > 0 ? '' : '-- '}--verbose for node logs)`}`,
  ];
}
