import type { Cell } from '../../protocol/cell.js';
import type { Replication } from '../../protocol/consistency.js';
import { RingkvError } from '../../protocol/errors.js';
import { cellMessageBytes, MAX_CELLS_MESSAGE_BYTES } from '../../protocol/limits.js';
import type { RepairProgress } from '../../protocol/ops/healing.js';
import type { OpRequest, OpResult } from '../../protocol/ops/index.js';
import { formatToken } from '../../ring/partitioner.js';
import type { TokenRange, TokenRing } from '../../ring/ring.js';
import { rangeReplicas } from '../../ring/strategy.js';
import type { ReplicaChannel } from '../../coordination/world.js';
import { STREAM_PAGE_CELLS, type RangeStreamer } from '../streaming.js';
import type { Clock, HostId, Logger } from '../world.js';
import { MerkleTree } from './merkle.js';
import { disagreements } from './reconcile-streams.js';

export type RepairSummary = OpResult<'repair'>;

export type RepairRequest = OpRequest<'repair'>;

/**
 * Differing leaves fewer than this many keys apart (as the range's leaves hold on average) are
 * read in one scan: a page of agreeing cells is cheaper than a round trip to every replica.
 */
const MAX_GAP_KEYS = 64;

export interface RepairDeps {
  self: HostId;
  ring: TokenRing;
  replication: Replication;
  isAlive: (hostId: HostId) => boolean;
  channel: ReplicaChannel;
  streamer: RangeStreamer;
  clock: Clock;
  logger: Logger;
  timeoutMs: number;
  /** The deepest Merkle tree a replica's answer may carry to this node (its frames are bounded). */
  maxTreeDepth: number;
}

/**
 * Anti-entropy repair, run by the node a user asked: for each token range it replicates (or every
 * range, with `allRanges`), every replica builds a Merkle tree of the range; the trees are
 * compared and only the cells under differing leaves are read from every replica, reconciled by
 * last write wins, and written to the replicas that lacked the winner. The node that runs it need
 * not be a replica of a range: every replica is asked alike.
 */
export async function runRepair(
  deps: RepairDeps,
  req: RepairRequest,
  onProgress: (p: RepairProgress) => void,
): Promise<RepairSummary> {
  const started = deps.clock.monotonicMs();
  const all = rangeReplicas(deps.ring, deps.replication);
  if (req.primaryRangeOnly && req.allRanges) {
    throw new RingkvError(
      'INVALID_REQUEST',
      "a repair covers its node's primary ranges or every range, not both: choose one",
    );
  }
  const ranges = all.filter(
    (r) =>
      req.allRanges === true ||
      (req.primaryRangeOnly
        ? r.replicas[0]?.hostId === deps.self
        : r.replicas.some((n) => n.hostId === deps.self)),
  );
  const summary: RepairSummary = {
    keyspace: req.keyspace,
    ranges: ranges.length,
    mismatched: 0,
    keysStreamed: 0,
    bytesStreamed: 0,
    durationMs: 0,
    failedRanges: [],
    preview: req.preview,
  };
  let done = 0;
  for (const r of ranges) {
    const range = { start: r.start, end: r.end };
    const replicas = r.replicas.map((n) => n.hostId);
    try {
      const down = replicas.filter((id) => !deps.isAlive(id));
      if (down.length > 0) throw new RingkvError('UNAVAILABLE', `replica ${down.join(', ')} is down`);
      if (replicas.length > 1) {
        const result = await repairRange(deps, req, range, replicas);
        if (result.mismatchedLeaves > 0) summary.mismatched++;
        summary.keysStreamed += result.keysStreamed;
        summary.bytesStreamed += result.bytesStreamed;
      }
    } catch (e) {
      summary.failedRanges.push({
        start: formatToken(range.start),
        end: formatToken(range.end),
        reason: e instanceof Error ? e.message : String(e),
      });
      deps.logger.warn('repair of a range failed', {
        start: String(range.start),
        end: String(range.end),
        error: String(e),
      });
    }
    done++;
    onProgress({
      rangesDone: done,
      ranges: ranges.length,
      keysStreamed: summary.keysStreamed,
      rangesFailed: summary.failedRanges.length,
    });
  }
  summary.durationMs = Math.round(deps.clock.monotonicMs() - started);
  return summary;
}

async function repairRange(
  deps: RepairDeps,
  req: RepairRequest,
  range: TokenRange,
  replicas: HostId[],
): Promise<{ mismatchedLeaves: number; keysStreamed: number; bytesStreamed: number }> {
  // Leaves fine enough that one missed write streams about one key, not a large part of the range:
  // each replica sizes its tree by its own cells, in the one scan that builds it, and the trees
  // are compared at the shallowest of those depths.
  const body = {
    keyspace: req.keyspace,
    start: formatToken(range.start),
    end: formatToken(range.end),
    depth: deps.maxTreeDepth,
    sized: true,
  };
  const answers = await Promise.all(
    replicas.map(async (id) => {
      const r = await deps.channel.request(id, 'merkle_tree', body, deps.timeoutMs * 10);
      return { tree: MerkleTree.deserialize(r.tree), cells: r.cells };
    }),
  );
  const depth = Math.min(...answers.map((a) => a.tree.depth));
  const trees = answers.map((a) => a.tree.fold(depth));
  const count = Math.max(...answers.map((a) => a.cells));
  const reference = trees[0] as MerkleTree;
  const differing = new Set<number>();
  for (const t of trees.slice(1)) for (const leaf of MerkleTree.diff(reference, t)) differing.add(leaf);
  if (differing.size === 0) return { mismatchedLeaves: 0, keysStreamed: 0, bytesStreamed: 0 };

  let keysStreamed = 0;
  let bytesStreamed = 0;
  const keysPerLeaf = Math.max(count, 1) / reference.leafCount;
  const maxGap = Math.floor(MAX_GAP_KEYS / keysPerLeaf);
  for (const leaf of leafRuns(
    [...differing].sort((a, b) => a - b),
    maxGap,
  )) {
    const sub = { start: reference.leafRange(leaf.first).start, end: reference.leafRange(leaf.last).end };
    const streamed = await streamDisagreements(deps, req, sub, replicas);
    keysStreamed += streamed.keys;
    bytesStreamed += streamed.bytes;
  }
  return { mismatchedLeaves: differing.size, keysStreamed, bytesStreamed };
}

/**
 * Reads every replica's cells under a run of differing leaves side by side and writes each
 * replica the winners it lacks, a batch at a time: one write in flight per replica, while the
 * scans go on.
 */
async function streamDisagreements(
  deps: RepairDeps,
  req: RepairRequest,
  range: TokenRange,
  replicas: HostId[],
): Promise<{ keys: number; bytes: number }> {
  let keys = 0;
  let bytes = 0;
  const outgoing = replicas.map((id) => new ReplicaBatches(deps, id, req.keyspace));
  const scans = replicas.map((id) => deps.streamer.pages(id, req.keyspace, range));
  for await (const d of disagreements(range.start, scans)) {
    for (const i of d.lacking) {
      keys++;
      bytes += d.key.length + (d.winner.value?.length ?? 0) + 17;
      if (!req.preview) await (outgoing[i] as ReplicaBatches).add({ key: d.key, cell: d.winner });
    }
  }
  await Promise.all(outgoing.map((o) => o.flush()));
  return { keys, bytes };
}

/** Cells for one replica, sent in batches one message carries, one batch in flight at a time. */
class ReplicaBatches {
  private pending: { key: Uint8Array; cell: Cell }[] = [];
  private pendingBytes = 0;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: RepairDeps,
    private readonly to: HostId,
    private readonly keyspace: string,
  ) {}

  async add(c: { key: Uint8Array; cell: Cell }): Promise<void> {
    const size = cellMessageBytes(c.key, c.cell.value);
    if (
      this.pending.length > 0 &&
      (this.pending.length >= STREAM_PAGE_CELLS || this.pendingBytes + size > MAX_CELLS_MESSAGE_BYTES)
    ) {
      await this.send();
    }
    this.pending.push(c);
    this.pendingBytes += size;
  }

  async flush(): Promise<void> {
    if (this.pending.length > 0) await this.send();
    await this.inFlight;
  }

  /** Waits for the batch before the last to land, then sends the pending one. */
  private async send(): Promise<void> {
    await this.inFlight;
    const cells = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.inFlight = this.deps.channel.request(
      this.to,
      'replica_write_batch',
      { keyspace: this.keyspace, cells },
      this.deps.timeoutMs * 5,
    );
    // Awaited by the next send or the flush, unless the repair of the range failed first: either
    // way not an unhandled rejection.
    this.inFlight.catch(() => undefined);
  }
}

/**
 * Runs of differing leaf indexes to read in one scan each: adjacent leaves, and leaves at most
 * `maxGap` agreeing leaves apart, whose few keys cost less to read again than another round trip
 * to every replica. A missed write touches one leaf, so after a node was down for a while the
 * differing leaves lie scattered a few apart, and a scan per leaf made round trips most of the
 * repair's time.
 */
export function leafRuns(sorted: readonly number[], maxGap = 0): { first: number; last: number }[] {
  const runs: { first: number; last: number }[] = [];
  for (const i of sorted) {
    const last = runs[runs.length - 1];
    if (last && i - last.last - 1 <= maxGap) last.last = i;
    else runs.push({ first: i, last: i });
  }
  return runs;
}
