import type { Replication } from '../protocol/consistency.js';
import { RingkvError } from '../protocol/errors.js';
import { effectiveOwnership, primaryOwnership } from './ownership.js';
import { MIN_TOKEN } from './partitioner.js';
import type { RingNode, RingView, TokenRing } from './ring.js';

/**
 * Choosing a joining node's tokens. Random tokens leave 16-vnode rings noticeably uneven (some
 * node holds a third more than another); the balancing allocator, in the spirit of Cassandra's
 * allocate_tokens_for_local_replication_factor, places each token where it evens out effective
 * ownership for the keyspace's replication.
 */

const RING_SIZE = 1n << 64n;
const TWO_POW_32 = 2 ** 32;

/** A random source in [0, 1), as World's Random.next. */
export type RandomSource = () => number;

/** A token uniform over the whole int64 range (the minimum included; callers skip it). */
function randomToken(random: RandomSource): bigint {
  const hi = BigInt(Math.floor(random() * TWO_POW_32));
  const lo = BigInt(Math.floor(random() * TWO_POW_32));
  return BigInt.asIntN(64, (hi << 32n) | lo);
}

/** `count` distinct tokens uniform over the ring, never the minimum token nor one of `existing`. */
export function randomTokens(count: number, random: RandomSource, existing: Iterable<bigint> = []): bigint[] {
  assertTokenCount(count);
  const taken = new Set(existing);
  const out: bigint[] = [];
  // Collisions among 2^64 tokens are all but impossible; a source that keeps repeating is broken.
  for (let attempts = 0; out.length < count; attempts++) {
    if (attempts > 100 * count + 100) throw new Error('the random source keeps repeating itself');
    const t = randomToken(random);
    if (t === MIN_TOKEN || taken.has(t)) continue;
    taken.add(t);
    out.push(t);
  }
  return out;
}

export interface JoiningNode {
  hostId: string;
  dc: string;
  rack: string;
}

/**
 * Tokens for a node joining `ring` that even out effective ownership for `replication`. Greedy:
 * each token goes to the split point (1/4, 1/3, 1/2, 2/3 or 3/4 of some range) that best evens
 * out ownership per token; then each token in turn moves to the point that most lowers the
 * max/min spread, until no move helps. With `network` only the node's DC is balanced (other DCs'
 * replicas do not depend on its tokens); a DC the replication does not cover is balanced for
 * primary ownership. The first node of a ring (or DC) gets evenly spaced tokens at a random offset.
 */
export function allocateTokens(
  ring: TokenRing,
  replication: Replication,
  newNode: JoiningNode,
  numTokens: number,
  random: RandomSource,
): bigint[] {
  assertTokenCount(numTokens);
  if (ring.node(newNode.hostId) !== undefined) {
    throw new RingkvError('INVALID_REQUEST', `node ${newNode.hostId} is already in the ring`);
  }
  const taken = new Set(ring.tokens());
  const peers = ring.nodes().filter((n) => replication.strategy === 'simple' || n.dc === newNode.dc);
  if (peers.length === 0 || numTokens === 0) return evenlySpaced(numTokens, random, taken);

  const rfHere = replication.strategy === 'simple' ? replication.rf : (replication.dcs[newNode.dc] ?? 0);
  const balanceFor: Replication =
    rfHere <= 0
      ? { strategy: 'simple', rf: 1 }
      : replication.strategy === 'simple'
        ? replication
        : { strategy: 'network', dcs: { [newNode.dc]: rfHere } };
  const joining: RingNode = { ...newNode, tokens: [] };
  const weights = new Map(peers.map((n) => [n.hostId, n.tokens.length]));
  const balanceOf = (draft: DraftRing): Balance => measure(draft, balanceFor, weights);

  let draft = DraftRing.of(peers);
  for (let k = 1; k <= numTokens; k++) {
    weights.set(joining.hostId, k);
    let best: { draft: DraftRing; balance: Balance } | undefined;
    for (const token of candidates(draft, taken)) {
      const next = draft.with(token, joining);
      const balance = balanceOf(next);
      if (best === undefined || balance.deviation < best.balance.deviation) best = { draft: next, balance };
    }
    if (best === undefined) throw new Error('no free token to split the ring at');
    draft = best.draft;
  }

  let current = balanceOf(draft);
  for (let round = 0; round < MAX_REFINE_ROUNDS; round++) {
    let moved = false;
    for (const token of draft.tokensOf(joining)) {
      const without = draft.without(token);
      for (const candidate of candidates(without, taken)) {
        if (candidate === token) continue;
        const next = without.with(candidate, joining);
        const balance = balanceOf(next);
        if (isBetter(balance, current)) {
          draft = next;
          current = balance;
          moved = true;
          break;
        }
      }
    }
    if (!moved) break;
  }
  return draft.tokensOf(joining);
}

/** Each token's move looks at every candidate; a few rounds settle, the bound keeps joins quick. */
const MAX_REFINE_ROUNDS = 4;

/** Where a range may be split: thirds and quarters let a node take a fair share of a large range. */
const SPLITS: readonly [bigint, bigint][] = [
  [1n, 2n],
  [1n, 3n],
  [2n, 3n],
  [1n, 4n],
  [3n, 4n],
];

/** Ownership also weighs primary ownership a little, which alone tells apart rings of <= RF nodes. */
const PRIMARY_WEIGHT = 0.1;

interface Balance {
  /** Max over min of effective ownership per token; 1 is perfect. */
  spread: number;
  /** Sum of squared relative deviations from the mean ownership per token. */
  deviation: number;
}

function isBetter(a: Balance, b: Balance): boolean {
  const epsilon = 1e-12;
  if (a.spread < b.spread - epsilon) return true;
  return a.spread <= b.spread + epsilon && a.deviation < b.deviation - epsilon;
}

function measure(draft: DraftRing, replication: Replication, weights: ReadonlyMap<string, number>): Balance {
  const effective = perToken(effectiveOwnership(draft, replication), weights);
  const primary = perToken(primaryOwnership(draft), weights);
  let max = 0;
  let min = Infinity;
  for (const r of effective) {
    max = Math.max(max, r);
    min = Math.min(min, r);
  }
  return {
    spread: min > 0 ? max / min : Infinity,
    deviation: deviation(effective) + PRIMARY_WEIGHT * deviation(primary),
  };
}

function perToken(owns: Map<string, number>, weights: ReadonlyMap<string, number>): number[] {
  return [...owns].map(([hostId, share]) => share / weights.get(hostId)!);
}

function deviation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((sum, v) => sum + (v / mean - 1) ** 2, 0);
}

/** Split points of every range, skipping tokens already in use anywhere on the ring. */
function* candidates(draft: DraftRing, taken: ReadonlySet<bigint>): Generator<bigint> {
  for (let i = 0; i < draft.tokenCount; i++) {
    const end = draft.tokenAt(i);
    const start = draft.tokenAt(i - 1);
    const width = draft.tokenCount === 1 ? RING_SIZE : BigInt.asUintN(64, end - start);
    for (const [num, den] of SPLITS) {
      const token = BigInt.asIntN(64, start + (width * num) / den);
      if (token !== MIN_TOKEN && token !== start && token !== end && !taken.has(token)) yield token;
    }
  }
}

function evenlySpaced(count: number, random: RandomSource, taken: ReadonlySet<bigint>): bigint[] {
  const offset = randomToken(random);
  const used = new Set(taken);
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    let token = BigInt.asIntN(64, offset + (RING_SIZE * BigInt(i)) / BigInt(count));
    // Another DC may already stand exactly there; the next free token is as good.
    while (token === MIN_TOKEN || used.has(token)) token = BigInt.asIntN(64, token + 1n);
    used.add(token);
    out.push(token);
  }
  return out;
}

function assertTokenCount(count: number): void {
  if (!Number.isInteger(count) || count < 0) {
    throw new RingkvError(
      'INVALID_REQUEST',
      `the number of tokens must be a whole number >= 0, not ${count}`,
    );
  }
}

/**
 * A ring under construction: the allocator tries thousands of one-token changes, so this keeps the
 * sorted tokens, their positions as fractions of the ring and owners in plain arrays that a
 * change copies once, without the checks and maps of a TokenRing.
 */
class DraftRing implements RingView {
  private constructor(
    private readonly sorted: readonly bigint[],
    private readonly positions: readonly number[],
    private readonly owners: readonly RingNode[],
    private readonly members: readonly RingNode[],
  ) {}

  static of(nodes: readonly RingNode[]): DraftRing {
    const entries = nodes.flatMap((owner) => owner.tokens.map((token) => ({ token, owner })));
    entries.sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
    return new DraftRing(
      entries.map((e) => e.token),
      entries.map((e) => position(e.token)),
      entries.map((e) => e.owner),
      nodes,
    );
  }

  get size(): number {
    return this.members.length;
  }

  get tokenCount(): number {
    return this.sorted.length;
  }

  nodes(): RingNode[] {
    return [...this.members];
  }

  tokenAt(i: number): bigint {
    return this.sorted[this.wrap(i)]!;
  }

  ownerAt(i: number): RingNode {
    return this.owners[this.wrap(i)]!;
  }

  rangeFractionAt(i: number): number {
    const at = this.wrap(i);
    const start = at === 0 ? this.positions[this.positions.length - 1]! - 1 : this.positions[at - 1]!;
    return this.positions[at]! - start;
  }

  tokensOf(node: RingNode): bigint[] {
    return this.sorted.filter((_, i) => this.owners[i] === node);
  }

  with(token: bigint, owner: RingNode): DraftRing {
    let at = 0;
    while (at < this.sorted.length && this.sorted[at]! < token) at++;
    const members = this.members.includes(owner) ? this.members : [...this.members, owner];
    return new DraftRing(
      this.sorted.toSpliced(at, 0, token),
      this.positions.toSpliced(at, 0, position(token)),
      this.owners.toSpliced(at, 0, owner),
      members,
    );
  }

  without(token: bigint): DraftRing {
    const at = this.sorted.indexOf(token);
    const owner = this.owners[at]!;
    const owners = this.owners.toSpliced(at, 1);
    return new DraftRing(
      this.sorted.toSpliced(at, 1),
      this.positions.toSpliced(at, 1),
      owners,
      owners.includes(owner) ? this.members : this.members.filter((m) => m !== owner),
    );
  }

  private wrap(i: number): number {
    const n = this.sorted.length;
    return ((i % n) + n) % n;
  }
}

/** A token's place on the ring as a fraction in [0, 1): exact enough to weigh ranges. */
function position(token: bigint): number {
  return Number(token - MIN_TOKEN) / Number(RING_SIZE);
}
