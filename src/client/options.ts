import { RingkvError } from '../protocol/errors.js';
import type { SpeculativeRetry } from './api.js';

/** Options a client is given as text, by a command's flags or by a program. */

/** `what` names the value in errors: the CLI's flag, or a library option. */
export function parseSpeculativeRetry(s: string, what = '--speculative-retry'): SpeculativeRetry {
  const t = s.trim().toLowerCase();
  if (t === 'never' || t === 'none') return { kind: 'never' };
  const p = /^(\d{1,2}(?:\.\d+)?)p$/.exec(t);
  if (p) return { kind: 'percentile', p: Number(p[1]) };
  const ms = /^(\d+(?:\.\d+)?)ms$/.exec(t);
  if (ms) return { kind: 'fixed', ms: Number(ms[1]) };
  throw new RingkvError('USAGE', `${what} "${s}" is not 99p, Nms or never`);
}

/** `flag` names the values in errors: --node (also from RINGKV_NODE), --seeds, or a library option. */
export function parseContactPoints(values: readonly string[] | string, flag = '--node'): string[] {
  const points = (typeof values === 'string' ? [values] : values)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  for (const p of points) {
    if (!/^wss?:\/\/[^/\s]+$/.test(p)) throw new RingkvError('USAGE', `${flag} "${p}" is not ws://HOST:PORT`);
  }
  if (points.length === 0) throw new RingkvError('USAGE', `${flag} needs at least one ws://HOST:PORT`);
  return points;
}
