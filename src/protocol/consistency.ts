import { closest } from './closest.js';
import { RingkvError } from './errors.js';
import { MAX_REPLICATION_FACTOR } from './limits.js';

export const CONSISTENCY_LEVELS = [
  'ANY',
  'ONE',
  'TWO',
  'THREE',
  'QUORUM',
  'LOCAL_ONE',
  'LOCAL_QUORUM',
  'EACH_QUORUM',
  'ALL',
] as const;

export type ConsistencyLevel = (typeof CONSISTENCY_LEVELS)[number];

/** DESIGN.md: the default CL is ONE. */
export const DEFAULT_CONSISTENCY: ConsistencyLevel = 'ONE';

export function isConsistencyLevel(s: string): s is ConsistencyLevel {
  return (CONSISTENCY_LEVELS as readonly string[]).includes(s);
}

/** CL names are case-insensitive; a typo gets its correction (quorom: QUORUM) instead of the list. */
export function parseConsistency(input: string): ConsistencyLevel {
  const upper = input.trim().toUpperCase();
  if (isConsistencyLevel(upper)) return upper;
  const suggestion = closest(
    input.trim(),
    CONSISTENCY_LEVELS.map((cl) => [cl, [cl]] as const),
  );
  if (suggestion !== undefined) {
    throw new RingkvError('USAGE', `unknown consistency level "${input}": did you mean ${suggestion}?`, {
      suggestion,
    });
  }
  throw new RingkvError(
    'USAGE',
    `unknown consistency level "${input}": use one of ${CONSISTENCY_LEVELS.join(', ').toLowerCase()}`,
  );
}

/** The replication a keyspace asks for: RF in total (simple) or per data center (network). */
export type Replication =
  { strategy: 'simple'; rf: number } | { strategy: 'network'; dcs: Record<string, number> };

/**
 * Replicas per data center as people write them, `DC:N,DC:N` (each part may hold several, as
 * repeated `--dc` flags do). `source` names where they came from in a usage error.
 */
export function parseDataCenterReplication(parts: readonly string[], source: string): Replication {
  const dcs: Record<string, number> = {};
  for (const part of parts.flatMap((p) => p.split(','))) {
    const m = /^\s*([^:\s]+)\s*:\s*(\d+)\s*$/.exec(part);
    if (!m) throw new RingkvError('USAGE', `${source} "${part}" is not DC:N`);
    const n = Number(m[2]);
    if (n > MAX_REPLICATION_FACTOR) {
      throw new RingkvError(
        'USAGE',
        `${source} "${part}": at most ${MAX_REPLICATION_FACTOR} replicas per data center`,
      );
    }
    dcs[m[1] as string] = n;
  }
  if (Object.values(dcs).every((n) => n === 0)) {
    throw new RingkvError('USAGE', `${source} places no replica: give a DC at least 1`);
  }
  return { strategy: 'network', dcs };
}

/** One word for a replication, as the REPL takes it: `N` (simple strategy, RF N) or `DC:N,DC:N`. */
export function parseReplicationWord(word: string): Replication {
  if (/^\d+$/.test(word)) {
    const rf = Number(word);
    if (rf < 1 || rf > MAX_REPLICATION_FACTOR) {
      throw new RingkvError('USAGE', `RF ${word} is out of range: give 1 to ${MAX_REPLICATION_FACTOR}`);
    }
    return { strategy: 'simple', rf };
  }
  if (!word.includes(':')) {
    throw new RingkvError(
      'USAGE',
      `"${word}" is not a replication: give an RF such as 3, or replicas per data center such as dc1:2,dc2:1`,
    );
  }
  return parseDataCenterReplication([word], 'replication');
}

/**
 * A replication as a string that equal replications share whatever their key order (sorted
 * keys), and that orders any two deterministically.
 */
export function replicationKey(r: Replication): string {
  if (r.strategy === 'simple') return `simple:${r.rf}`;
  const dcs = Object.keys(r.dcs).sort();
  return `network:${dcs.map((dc) => `${JSON.stringify(dc)}=${r.dcs[dc]}`).join(',')}`;
}

export function sameReplication(a: Replication, b: Replication): boolean {
  return replicationKey(a) === replicationKey(b);
}

/**
 * Whether going from `before` to `after` makes some node a replica of data it was not given:
 * more replicas somewhere, or another strategy, which places them anew.
 */
export function gainedReplicas(before: Replication, after: Replication): boolean {
  if (before.strategy === 'simple' && after.strategy === 'simple') return after.rf > before.rf;
  if (before.strategy === 'network' && after.strategy === 'network') {
    return Object.entries(after.dcs).some(([dc, n]) => n > (before.dcs[dc] ?? 0));
  }
  return true;
}

/**
 * Where `nodes` are too few for the replicas `r` asks for: the data center (absent for simple
 * replication, which counts every node), its nodes and the replicas wanted there. Undefined when
 * every replica has a node of its own. `onlyDc` looks at one data center of a network replication
 * (where a node leaves: the others keep what they have, short or not).
 */
export function replicationShortfall(
  r: Replication,
  nodes: readonly { dc: string }[],
  onlyDc?: string,
): { dc?: string; nodes: number; replicas: number } | undefined {
  if (r.strategy === 'simple')
    return nodes.length < r.rf ? { nodes: nodes.length, replicas: r.rf } : undefined;
  for (const [dc, replicas] of Object.entries(r.dcs)) {
    if (onlyDc !== undefined && dc !== onlyDc) continue;
    const have = nodes.filter((n) => n.dc === dc).length;
    if (have < replicas) return { dc, nodes: have, replicas };
  }
  return undefined;
}

/**
 * The largest replication like `r` that `nodes` can hold (RF at most the node count, per data
 * center for network); undefined when they can hold no replica at all.
 */
export function fittingReplication(
  r: Replication,
  nodes: readonly { dc: string }[],
): Replication | undefined {
  if (r.strategy === 'simple')
    return nodes.length > 0 ? { strategy: 'simple', rf: Math.min(r.rf, nodes.length) } : undefined;
  const dcs = Object.fromEntries(
    Object.entries(r.dcs).map(([dc, n]) => [dc, Math.min(n, nodes.filter((x) => x.dc === dc).length)]),
  );
  return Object.values(dcs).some((n) => n > 0) ? { strategy: 'network', dcs } : undefined;
}

/** A replication as the flags of `ringkv keyspace create` and `alter` take it. */
export function replicationAsFlags(r: Replication): string {
  if (r.strategy === 'simple') return `--rf ${r.rf}`;
  return `--dc ${Object.entries(r.dcs)
    .map(([dc, n]) => `${dc}:${n}`)
    .join(',')}`;
}

export function totalReplicationFactor(r: Replication): number {
  return r.strategy === 'simple' ? r.rf : Object.values(r.dcs).reduce((a, b) => a + b, 0);
}

export function quorumOf(rf: number): number {
  return Math.floor(rf / 2) + 1;
}

export interface ReplicaRef {
  hostId: string;
  dc: string;
}

/**
 * How many acknowledgements a request at a CL needs. `perDc` counts only replicas of that data
 * center; `total` counts any replica. Both may apply (EACH_QUORUM has only perDc).
 */
export interface Requirement {
  cl: ConsistencyLevel;
  total: number;
  perDc: Record<string, number>;
  /** ANY: a stored hint counts as an ack. */
  hintsCount: boolean;
}

function rfInDc(r: Replication, dc: string): number {
  return r.strategy === 'simple' ? r.rf : (r.dcs[dc] ?? 0);
}

export function requirementFor(cl: ConsistencyLevel, replication: Replication, localDc: string): Requirement {
  const rf = totalReplicationFactor(replication);
  const none = { cl, total: 0, perDc: {}, hintsCount: false };
  switch (cl) {
    case 'ANY':
      return { ...none, total: 1, hintsCount: true };
    case 'ONE':
      return { ...none, total: 1 };
    case 'TWO':
      return { ...none, total: 2 };
    case 'THREE':
      return { ...none, total: 3 };
    case 'QUORUM':
      return { ...none, total: quorumOf(rf) };
    case 'ALL':
      return { ...none, total: rf };
    case 'LOCAL_ONE':
      return { ...none, perDc: { [localDc]: 1 } };
    case 'LOCAL_QUORUM':
      return { ...none, perDc: { [localDc]: quorumOf(rfInDc(replication, localDc)) } };
    case 'EACH_QUORUM': {
      if (replication.strategy === 'simple') return { ...none, perDc: { [localDc]: quorumOf(rf) } };
      const perDc: Record<string, number> = {};
      for (const [dc, n] of Object.entries(replication.dcs)) if (n > 0) perDc[dc] = quorumOf(n);
      return { ...none, perDc };
    }
  }
}

/**
 * Said after a required count that includes pending replicas (a node joining, or taking over a
 * range), which must ack on top of the CL's own count; '' when there are none.
 */
export function pendingNote(pending: number): string {
  return pending > 0 ? ` (${pending} of them joining or taking over a range)` : '';
}

/** What a CL that counts by data center needs in one, and the key's replicas there. */
export interface DcShortfall {
  required: number;
  alive: number;
  /** Replicas of the key in that DC, up or down. */
  replicas: number;
}

/**
 * For a CL that counts by data center (LOCAL_*, EACH_QUORUM), each DC holding replicas of the key
 * with what the CL needs there (0 where it needs none), how many are alive, and how many there are;
 * undefined for a CL that counts replicas anywhere. It tells the user which DC fell short, and
 * what is alive elsewhere.
 */
export function byDataCenter(
  req: Requirement,
  alive: readonly ReplicaRef[],
  placed: readonly ReplicaRef[],
): Record<string, DcShortfall> | undefined {
  if (Object.keys(req.perDc).length === 0) return undefined;
  const dcs: Record<string, DcShortfall> = {};
  const entry = (dc: string) => (dcs[dc] ??= { required: 0, alive: 0, replicas: 0 });
  for (const [dc, n] of Object.entries(req.perDc)) entry(dc).required = n;
  for (const r of placed) entry(r.dc).replicas++;
  for (const r of alive) entry(r.dc).alive++;
  return dcs;
}

/**
 * UNAVAILABLE's message, from its details: the coordinator says it, and the CLI and the REPL say
 * it again from the details they receive. A CL that counts by data center names the DCs.
 */
export function unavailableMessage(
  cl: string,
  required: number,
  alive: number,
  pending: number,
  dcs?: Record<string, DcShortfall>,
): string {
  const are = (n: number) => `${n} ${n === 1 ? 'is' : 'are'} alive`;
  const needed = Object.entries(dcs ?? {}).filter(([, c]) => c.required > 0);
  const first = needed[0];
  const replicas = `${required} replica${required === 1 ? '' : 's'}`;
  if (first === undefined) {
    return `${cl} needs ${replicas}${pendingNote(pending)}, ${are(alive)}`;
  }
  if (needed.length === 1) {
    return `${cl} needs ${replicas} in ${first[0]}${pendingNote(pending)}, ${are(alive)} there`;
  }
  const list = (f: (c: DcShortfall) => number) => needed.map(([dc, c]) => `${f(c)} in ${dc}`).join(', ');
  return `${cl} needs ${replicas} (${list((c) => c.required)})${pendingNote(pending)}, ${are(alive)} (${list((c) => c.alive)})`;
}

/** The number a requirement needs in all, for error details. */
export function requiredCount(req: Requirement): number {
  return Math.max(
    req.total,
    Object.values(req.perDc).reduce((a, b) => a + b, 0),
  );
}

/** True when these replicas (acks, or the ones known alive) meet the requirement. */
export function isSatisfiedBy(req: Requirement, replicas: readonly ReplicaRef[]): boolean {
  if (replicas.length < req.total) return false;
  for (const [dc, n] of Object.entries(req.perDc)) {
    let inDc = 0;
    for (const r of replicas) if (r.dc === dc) inDc++;
    if (inDc < n) return false;
  }
  return true;
}

/** Counts, for errors: how many of these replicas count toward the requirement. */
export function countTowards(req: Requirement, replicas: readonly ReplicaRef[]): number {
  if (Object.keys(req.perDc).length === 0) return replicas.length;
  return replicas.filter((r) => r.dc in req.perDc).length;
}

/**
 * A keyspace that asks for more replicas than its nodes can hold (a removenode left too few, a
 * cluster smaller than the RF): the CLs that cannot succeed until a node joins, and the
 * replication the nodes could hold. Undefined when every replica has a node.
 */
export function shortfallMessage(
  keyspace: string,
  replication: Replication,
  nodes: readonly { dc: string }[],
): string | undefined {
  const short = replicationShortfall(replication, nodes);
  if (!short) return undefined;
  const fitting = fittingReplication(replication, nodes);
  const placed = fitting ? totalReplicationFactor(fitting) : 0;
  const total = totalReplicationFactor(replication);
  // TWO and THREE fail for want of nodes only where the keyspace has that many replicas at all.
  const counted = [
    ['TWO', 2],
    ['THREE', 3],
  ] as const;
  const failing = [
    ...counted.filter(([, n]) => n <= total && n > placed).map(([cl]) => cl),
    ...(quorumOf(total) > placed ? ['QUORUM'] : []),
    ...(short.dc !== undefined && quorumOf(short.replicas) > short.nodes
      ? [`LOCAL_QUORUM in ${short.dc}`, 'EACH_QUORUM']
      : []),
    'ALL',
  ];
  const failingText =
    failing.length === 1 ? failing[0] : `${failing.slice(0, -1).join(', ')} and ${failing.at(-1)}`;
  const nodeCount = `${short.nodes} node${short.nodes === 1 ? '' : 's'}`;
  const where =
    short.dc === undefined
      ? `${short.replicas} replicas and the cluster has ${nodeCount}`
      : `${short.replicas} replicas in ${short.dc}, which has ${nodeCount}`;
  const lower = fitting
    ? `, or lower it: ringkv keyspace alter ${keyspace} ${replicationAsFlags(fitting)}`
    : '';
  return `keyspace ${keyspace} asks for ${where}: ${failingText} cannot succeed until a node joins${short.dc === undefined ? '' : ` ${short.dc}`}${lower}`;
}
