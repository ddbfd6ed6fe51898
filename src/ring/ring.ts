import { RingkvError } from '../protocol/errors.js';
import { MIN_TOKEN } from './partitioner.js';

/** A node as the ring sees it: where it stands (DC, rack) and the tokens (vnodes) it owns. */
export interface RingNode {
  hostId: string;
  dc: string;
  rack: string;
  tokens: readonly bigint[];
}

function emptyRing(): RingkvError {
  return new RingkvError(
    'UNAVAILABLE',
    'the ring has no nodes yet: wait for a node to finish joining, or run "ringkv join" on one started with --no-join',
  );
}

/** No nodes: one shared empty list for the hot paths that answer it on every request. */
export const NO_NODES: readonly RingNode[] = [];

/**
 * A range of the ring, (start, end]: the keys whose token is after start and at most end. It wraps
 * past the maximum token when start >= end; start === end is the whole ring (a ring of one token).
 */
export interface TokenRange {
  start: bigint;
  end: bigint;
}

export interface OwnedRange extends TokenRange {
  owner: RingNode;
}

/** True when token lies in (start, end], wrapping around the ring. */
export function rangeContains(range: TokenRange, token: bigint): boolean {
  const { start, end } = range;
  if (start < end) return token > start && token <= end;
  return token > start || token <= end;
}

const RING_SIZE = 1n << 64n;

/** The share of the ring a range covers, in [0, 1]. */
export function rangeFraction(range: TokenRange): number {
  const width = range.end > range.start ? range.end - range.start : range.end - range.start + RING_SIZE;
  return Number(width) / Number(RING_SIZE);
}

/**
 * What replica placement and ownership need to know of a ring: the owner of each range in token
 * order, and each range's share of the ring.
 */
export interface RingView {
  /** Number of nodes. */
  readonly size: number;
  /** Number of tokens, which is also the number of ranges. */
  readonly tokenCount: number;
  nodes(): RingNode[];
  /** The owner of the range that ends at sorted token i (i wraps). */
  ownerAt(i: number): RingNode;
  /** The share of the ring the range ending at sorted token i covers (i wraps). */
  rangeFractionAt(i: number): number;
}

/**
 * The nodes whose tokens can stand in one ring, in host id order: a node that claims a token held
 * by `taken` or by a node kept before it is left out (`clashing`). Two nodes that bootstrap at the
 * same moment from the same view pick the same tokens; the one with the larger host id gives way
 * and picks again, and until it has, the ring is built without it instead of failing.
 */
export function withoutTokenClashes(
  nodes: readonly RingNode[],
  taken: Iterable<bigint> = [],
): { kept: RingNode[]; clashing: RingNode[] } {
  const held = new Set(taken);
  const kept: RingNode[] = [];
  const clashing: RingNode[] = [];
  for (const node of [...nodes].sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0))) {
    const tokens = new Set(node.tokens);
    if (tokens.size < node.tokens.length || node.tokens.some((t) => held.has(t))) {
      clashing.push(node);
      continue;
    }
    for (const t of node.tokens) held.add(t);
    kept.push(node);
  }
  return { kept, clashing };
}

/** `ring` with the nodes of `joining` whose tokens fit in it (see withoutTokenClashes) added. */
export function withJoining(ring: TokenRing, joining: readonly RingNode[]): TokenRing {
  const kept = withoutTokenClashes(joining, ring.tokens()).kept;
  return kept.length === 0 ? ring : new TokenRing([...ring.nodes(), ...kept]);
}

/**
 * The token ring: every node's tokens in token order. Immutable: membership changes make a new
 * ring, so a ring handed to a request never changes under it, and derived data (replica
 * placement) can be cached per ring.
 */
export class TokenRing implements RingView {
  /** Sorted ascending; owners[i] owns the range (sortedTokens[i-1], sortedTokens[i]]. */
  private readonly sortedTokens: readonly bigint[];
  private readonly owners: readonly RingNode[];
  private readonly byHostId: ReadonlyMap<string, RingNode>;

  constructor(nodes: readonly RingNode[]) {
    const byHostId = new Map<string, RingNode>();
    const entries: { token: bigint; owner: RingNode }[] = [];
    for (const node of nodes) {
      if (byHostId.has(node.hostId)) {
        throw new RingkvError('INVALID_REQUEST', `node ${node.hostId} appears twice in the ring`);
      }
      if (node.tokens.length === 0) {
        throw new RingkvError('INVALID_REQUEST', `node ${node.hostId} has no tokens`);
      }
      byHostId.set(node.hostId, node);
      for (const token of node.tokens) {
        // The minimum token is the ring's origin: no key hashes to it, so it cannot end a range.
        if (token === MIN_TOKEN) {
          throw new RingkvError('INVALID_REQUEST', `node ${node.hostId} claims the minimum token`);
        }
        entries.push({ token, owner: node });
      }
    }
    entries.sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
    for (let i = 1; i < entries.length; i++) {
      const previous = entries[i - 1]!;
      const entry = entries[i]!;
      if (previous.token === entry.token) {
        throw new RingkvError(
          'INVALID_REQUEST',
          `token ${entry.token} is claimed by both ${previous.owner.hostId} and ${entry.owner.hostId}`,
        );
      }
    }
    this.sortedTokens = entries.map((e) => e.token);
    this.owners = entries.map((e) => e.owner);
    this.byHostId = byHostId;
  }

  /** Number of nodes. */
  get size(): number {
    return this.byHostId.size;
  }

  /** Number of tokens, which is also the number of ranges. */
  get tokenCount(): number {
    return this.sortedTokens.length;
  }

  /** All tokens in ascending order. */
  tokens(): readonly bigint[] {
    return this.sortedTokens;
  }

  nodes(): RingNode[] {
    return [...this.byHostId.values()];
  }

  node(hostId: string): RingNode | undefined {
    return this.byHostId.get(hostId);
  }

  /** The token at index i of the sorted tokens (i wraps). */
  tokenAt(i: number): bigint {
    return this.sortedTokens[this.wrap(i)]!;
  }

  /** The owner of the range that ends at sorted token i (i wraps). */
  ownerAt(i: number): RingNode {
    return this.owners[this.wrap(i)]!;
  }

  rangeFractionAt(i: number): number {
    return rangeFraction(this.rangeAt(i));
  }

  /** The range that ends at sorted token i: (token i-1, token i]. */
  rangeAt(i: number): TokenRange {
    return { start: this.tokenAt(i - 1), end: this.tokenAt(i) };
  }

  /**
   * Index of the first token >= token, wrapping to 0 past the last one: the index of the range
   * that holds the token. The ring must not be empty.
   */
  firstIndexAtOrAfter(token: bigint): number {
    const tokens = this.sortedTokens;
    if (tokens.length === 0) throw emptyRing();
    let lo = 0;
    let hi = tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tokens[mid]! < token) lo = mid + 1;
      else hi = mid;
    }
    return lo === tokens.length ? 0 : lo;
  }

  /** The node whose range holds the token: its primary replica. */
  ownerOf(token: bigint): RingNode {
    return this.owners[this.firstIndexAtOrAfter(token)]!;
  }

  /** Every range of the ring in token order; the first one wraps past the maximum token. */
  ranges(): OwnedRange[] {
    return this.owners.map((owner, i) => ({ ...this.rangeAt(i), owner }));
  }

  /** The ranges this node owns as primary replica. */
  primaryRanges(hostId: string): TokenRange[] {
    const out: TokenRange[] = [];
    this.owners.forEach((owner, i) => {
      if (owner.hostId === hostId) out.push(this.rangeAt(i));
    });
    return out;
  }

  /** A ring with this node added, or replacing the node of the same host id. */
  withNode(node: RingNode): TokenRing {
    return new TokenRing([...[...this.byHostId.values()].filter((n) => n.hostId !== node.hostId), node]);
  }

  withoutNode(hostId: string): TokenRing {
    return new TokenRing([...this.byHostId.values()].filter((n) => n.hostId !== hostId));
  }

  private wrap(i: number): number {
    const n = this.sortedTokens.length;
    if (n === 0) throw emptyRing();
    return ((i % n) + n) % n;
  }
}
