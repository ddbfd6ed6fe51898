import { RingkvError } from '../protocol/errors.js';
import { MAX_SPECULATIVE_RETRY_MS } from '../protocol/limits.js';
import type { SpeculativeRetry } from './api.js';

/** Options a client is given as text, by a command's flags or by a program. */

/** `what` names the value in errors: the CLI's flag, or a library option. */
export function parseSpeculativeRetry(s: string, what = '--speculative-retry'): SpeculativeRetry {
  const t = s.trim().toLowerCase();
  if (t === 'never' || t === 'none') return { kind: 'never' };
  const p = /^(\d{1,2}(?:\.\d+)?)p$/.exec(t);
  if (p && Number(p[1]) > 0) return { kind: 'percentile', p: Number(p[1]) };
  const ms = /^(\d+(?:\.\d+)?)ms$/.exec(t);
  if (ms && Number(ms[1]) <= MAX_SPECULATIVE_RETRY_MS) return { kind: 'fixed', ms: Number(ms[1]) };
  throw new RingkvError(
    'USAGE',
    `${what} "${s}" is not a percentile above 0 (99p), a time up to ${MAX_SPECULATIVE_RETRY_MS}ms, or never`,
  );
}

/** `flag` names the values in errors: --node (also from RINGKV_NODE), --seeds, or a library option. */
export function parseContactPoints(values: readonly string[] | string, flag = '--node'): string[] {
  const points = (typeof values === 'string' ? [values] : values)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  for (const p of points) {
    const problem = contactPointProblem(p);
    if (problem) throw new RingkvError('USAGE', `${flag} "${p}" ${problem}`);
  }
  if (points.length === 0) throw new RingkvError('USAGE', `${flag} needs at least one ws://HOST:PORT`);
  return points;
}

/**
 * What is wrong with a contact point, before anything is dialled: a typo in an address is the
 * user's to fix, not a node that cannot be reached. The port is explicit, since ws:// alone would
 * mean port 80, where no node listens by default.
 */
function contactPointProblem(p: string): string | undefined {
  const m = /^([a-z]+):\/\/([^/\s]+)$/i.exec(p);
  if (!m) return 'is not ws://HOST:PORT';
  if ((m[1] as string).toLowerCase() !== 'ws') return 'is not ws://HOST:PORT: nodes speak plain ws (no TLS)';
  const port = /:(\d+)$/.exec(m[2] as string);
  if (!port) return 'has no port: give ws://HOST:PORT';
  const n = Number(port[1]);
  if (n < 1 || n > 65535) return 'has no valid port: use 1-65535';
  if (!URL.canParse(p)) return 'has no valid host';
  return undefined;
}
