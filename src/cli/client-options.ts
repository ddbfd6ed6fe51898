import type { ClientOptions, Coordination, RoutePolicyName } from '../client/api.js';
import { RingkvClient } from '../client/client.js';
import { parseContactPoints, parseSpeculativeRetry } from '../client/options.js';

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
