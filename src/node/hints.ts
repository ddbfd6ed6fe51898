import { Packr } from 'msgpackr';
import type { Cell } from '../protocol/cell.js';
import type { HintOutcome, HintSink } from '../coordination/write-response.js';
import { decodeHintKey, hintKey, hintPrefix, hintTargetPrefix, prefixEnd } from './storage/keys.js';
import type { Clock, HostId, Storage } from './world.js';

const packr = new Packr({ useRecords: false });

export interface Hint {
  keyspace: string;
  key: Uint8Array;
  cell: Cell;
}

export interface StoredHint extends Hint {
  storeKey: Uint8Array;
  target: HostId;
  createdMicros: number;
  bytes: number;
}

export interface HintTargetSummary {
  target: HostId;
  count: number;
  bytes: number;
  /** ms since the epoch. */
  oldest: number;
}

export interface HintStoreOptions {
  enabled: boolean;
  maxHintWindowMs: number;
}

/** Why a removed node gets no hint, said both before and after one is written. */
const REMOVED = 'it was removed from the cluster';

/**
 * Durable hints in the node's own store, keyed by target and creation time so that one target's
 * hints replay in the order they were written. A target down longer than the hint window gets no
 * more hints: only repair can heal it then (as in Cassandra).
 */
export class HintStore implements HintSink {
  /** Hints stored since the node started. */
  stored = 0;
  private seq = 0;
  private readonly counts = new Map<HostId, number>();
  /** Removed nodes: they get no hints, even from a store that was already under way. */
  private readonly forgotten = new Set<HostId>();

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly options: HintStoreOptions,
    /** When the target was last seen going down (monotonic ms), or undefined when it is up or unknown. */
    private readonly downSinceMs: (target: HostId) => number | undefined,
  ) {}

  /** Counts per target are kept in memory once loaded, so the replay loop can skip targets without hints. */
  async load(): Promise<void> {
    this.counts.clear();
    for (const s of await this.summary()) this.counts.set(s.target, s.count);
  }

  pastWindow(target: HostId): boolean {
    const since = this.downSinceMs(target);
    return since !== undefined && this.clock.monotonicMs() - since > this.options.maxHintWindowMs;
  }

  /** Why a hint for the target would not be stored now; undefined: it would. */
  private refusal(target: HostId): string | undefined {
    if (!this.options.enabled) return 'hinted handoff is off on this node (--hinted-handoff false)';
    if (this.forgotten.has(target)) return REMOVED;
    if (this.pastWindow(target))
      return 'it has been down longer than the hint window (--max-hint-window): repair heals it';
    return undefined;
  }

  async store(target: HostId, keyspace: string, key: Uint8Array, cell: Cell): Promise<HintOutcome> {
    const refused = this.refusal(target);
    if (refused !== undefined) return { stored: false, reason: refused };
    const value = packr.pack({ keyspace, key, cell } satisfies Hint);
    this.seq = (this.seq + 1) >>> 0;
    const storeKey = hintKey(target, this.clock.nowMicros(), this.seq);
    await this.storage.write([{ key: storeKey, value }]);
    // The target was removed while this hint waited for its synced batch: the truncation could
    // not see it, so it goes now, or it would sit in `hints list` for a node that is gone.
    if (this.forgotten.has(target)) {
      await this.storage.write([{ key: storeKey, value: null }]);
      return { stored: false, reason: REMOVED };
    }
    this.counts.set(target, (this.counts.get(target) ?? 0) + 1);
    this.stored++;
    return { stored: true };
  }

  /** A node left the cluster: drop its hints and store no more for it. */
  forget(target: HostId): Promise<number> {
    this.forgotten.add(target);
    return this.truncate(target);
  }

  /** A forgotten node is back (it rejoined under its host id): hint it again. */
  remember(target: HostId): void {
    this.forgotten.delete(target);
  }

  targetsWithHints(): HostId[] {
    return [...this.counts].filter(([, n]) => n > 0).map(([t]) => t);
  }

  async summary(): Promise<HintTargetSummary[]> {
    const byTarget = new Map<HostId, HintTargetSummary>();
    for await (const [k, v] of this.storage.iterate({ gte: hintPrefix(), lt: prefixEnd(hintPrefix()) })) {
      const { target, createdMicros } = decodeHintKey(k);
      const s = byTarget.get(target) ?? { target, count: 0, bytes: 0, oldest: Infinity };
      s.count++;
      s.bytes += v.length;
      // Whole ms since the epoch, as the JSON of `hints list` shows it.
      s.oldest = Math.min(s.oldest, Math.floor(createdMicros / 1000));
      byTarget.set(target, s);
    }
    return [...byTarget.values()];
  }

  /** The oldest hints for a target, up to limit. */
  async oldest(target: HostId, limit: number): Promise<StoredHint[]> {
    const prefix = hintTargetPrefix(target);
    const out: StoredHint[] = [];
    for await (const [k, v] of this.storage.iterate({ gte: prefix, lt: prefixEnd(prefix), limit })) {
      const { createdMicros } = decodeHintKey(k);
      const hint = packr.unpack(v) as Hint;
      out.push({ ...hint, storeKey: Uint8Array.from(k), target, createdMicros, bytes: v.length });
    }
    return out;
  }

  async remove(hints: readonly StoredHint[]): Promise<void> {
    if (hints.length === 0) return;
    await this.storage.write(hints.map((h) => ({ key: h.storeKey, value: null })));
    for (const h of hints) this.counts.set(h.target, Math.max(0, (this.counts.get(h.target) ?? 1) - 1));
  }

  /** Drops every hint, or those for one target (a removed node, or `hints truncate`). */
  async truncate(target?: HostId): Promise<number> {
    const prefix = target ? hintTargetPrefix(target) : hintPrefix();
    let dropped = 0;
    for (;;) {
      const page: Uint8Array[] = [];
      for await (const [k] of this.storage.iterate({ gte: prefix, lt: prefixEnd(prefix), limit: 1000 }))
        page.push(Uint8Array.from(k));
      if (page.length === 0) break;
      await this.storage.write(page.map((key) => ({ key, value: null })));
      dropped += page.length;
    }
    if (target) this.counts.delete(target);
    else this.counts.clear();
    return dropped;
  }
}
