import type { ClientOptions, Coordination, RoutePolicyName, SpeculativeRetry } from '../client/api.js';
import { RingkvClient } from '../client/client.js';
import { RingkvError } from '../protocol/errors.js';

export interface ClusterFlagValues {
  /** A string, not a list, when it comes from RINGKV_NODE: oclif does not wrap a multiple flag's env value. */
  node: string[] | string;
  timeout: number;
  secret?: string | undefined;
  'cluster-name': string;
  route: string;
  'local-dc'?: string | undefined;
  coordination: string;
  'speculative-retry': string;
}

export function parseSpeculativeRetry(s: string): SpeculativeRetry {
  const t = s.trim().toLowerCase();
  if (t === 'never' || t === 'none') return { kind: 'never' };
  const p = /^(\d{1,2}(?:\.\d+)?)p$/.exec(t);
  if (p) return { kind: 'percentile', p: Number(p[1]) };
  const ms = /^(\d+(?:\.\d+)?)ms$/.exec(t);
  if (ms) return { kind: 'fixed', ms: Number(ms[1]) };
  throw new RingkvError('USAGE', `--speculative-retry "${s}" is not 99p, Nms or never`);
}

/** `flag` names the values in errors: --node (also from RINGKV_NODE) or --seeds. */
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

export function clientOptionsFromFlags(flags: ClusterFlagValues): ClientOptions {
  return {
    contactPoints: parseContactPoints(flags.node),
    timeoutMs: flags.timeout,
    clusterName: flags['cluster-name'],
    route: flags.route as RoutePolicyName,
    coordination: flags.coordination as Coordination,
    speculativeRetry: parseSpeculativeRetry(flags['speculative-retry']),
    ...(flags.secret ? { secret: flags.secret } : {}),
    ...(flags['local-dc'] ? { localDc: flags['local-dc'] } : {}),
  };
}

/** Runs f with a connected client and always closes it, so a command never hangs on open sockets. */
export async function withClient<T>(
  flags: ClusterFlagValues,
  f: (client: RingkvClient) => Promise<T>,
): Promise<T> {
  const client = await RingkvClient.connect(clientOptionsFromFlags(flags));
  try {
    return await f(client);
  } finally {
    await client.close();
  }
}
