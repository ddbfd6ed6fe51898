import { tokenOf } from '../../src/ring/partitioner.js';
import type { TokenRing } from '../../src/ring/ring.js';
import { replicasFor } from '../../src/ring/strategy.js';
import type { HostId } from '../../src/node/world.js';
import { RingkvError } from '../../src/protocol/errors.js';
import type { SimCluster, SimNode } from './cluster.js';
import type { KeyMove, Violation } from './history.js';
import type { Prng } from './prng.js';
import type { VirtualTime } from './virtual-time.js';
import { RF } from './workload.js';

export type MoveKind = KeyMove['kind'];

/** Seeds stay: a joiner needs one to contact, and an operator keeps them. */
const SEEDS = new Set(['n1', 'n2']);
/** How often the driver looks at a move in progress and, if it failed, runs it again. */
const POLL_MS = 50;
/** A failed attempt is retried after this long, as an operator would. */
const RETRY_AFTER_MS = 500;
/** The most nodes the cluster grows to. */
const MAX_NODES = 8;

interface Move {
  kind: MoveKind;
  hostId: HostId;
  start: number;
  before: TokenRing;
  done: boolean;
  /** The last call made for it: by which process incarnation, whether it settled, and well. */
  attempt: { incarnation: number; settled: boolean; ok: boolean; by: HostId } | undefined;
  lastFailure: number;
}

/**
 * Membership changes during the workload, one at a time as an operator makes them: a fresh node
 * joins (autoJoin with seeds), a node decommissions (and its process exits), or a node dies for good
 * and another runs removenode on it. Faults keep going meanwhile: a join or decommission that fails
 * or is cut short by a crash is run again, as an operator would. When a change is done, what it did
 * to each key (which replicas gave it up, which took it over) is recorded for the checker.
 */
export class MembershipDriver {
  readonly keyMoves: KeyMove[] = [];
  readonly removed: HostId[] = [];
  private current: Move | undefined;
  private count = 0;

  constructor(
    private readonly time: VirtualTime,
    private readonly cluster: SimCluster,
    private readonly rng: Prng,
    private readonly keys: readonly string[],
    private readonly note: (text: string) => void,
    private readonly violations: Violation[],
  ) {}

  get changes(): number {
    return this.count;
  }

  /** The node the change under way moves, while it is under way. */
  moving(): HostId | undefined {
    return this.current && !this.current.done ? this.current.hostId : undefined;
  }

  /** Makes up to `max` changes, each after a pause, until `until`; leaves one unfinished for finish(). */
  async run(max: number, until: number): Promise<void> {
    for (let i = 0; i < max && this.time.nowMs < until - 1500; i++) {
      await this.sleep(this.rng.range(300, 1500));
      const kind = this.pickKind();
      if (!kind) return;
      await this.begin(kind);
      while (this.current && !this.current.done && this.time.nowMs < until) {
        this.step();
        await this.sleep(POLL_MS);
      }
      if (this.current && !this.current.done) return;
    }
  }

  /** With the network calm and every node up: drives an unfinished change to its end. */
  async finish(limitMs: number): Promise<void> {
    const deadline = this.time.nowMs + limitMs;
    while (this.current && !this.current.done && this.time.nowMs < deadline) {
      this.step();
      await this.sleep(POLL_MS);
    }
    if (this.current && !this.current.done) {
      this.violations.push({
        property: 'e',
        message: `${this.current.kind} of ${this.current.hostId} did not finish within ${limitMs} ms of a calm network`,
      });
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.time.schedule(ms, resolve));
  }

  private pickKind(): MoveKind | undefined {
    const ring = this.cluster.truthRing();
    const kinds: MoveKind[] = [];
    if (this.cluster.nodes.length < MAX_NODES) kinds.push('join');
    if (ring.size > RF && this.candidates().length > 0) kinds.push('decommission', 'removenode');
    return kinds.length > 0 ? this.rng.pick(kinds) : undefined;
  }

  /** Nodes that may leave: running, NORMAL, not a seed. */
  private candidates(): HostId[] {
    return this.cluster
      .running()
      .filter((n) => !SEEDS.has(n.hostId) && this.cluster.truthRole(n.hostId) === 'normal' && !n.starting)
      .map((n) => n.hostId);
  }

  private async begin(kind: MoveKind): Promise<void> {
    this.count++;
    const before = this.cluster.truthRing();
    const start = this.time.nowMs;
    const move = (hostId: HostId): Move => ({
      kind,
      hostId,
      start,
      before,
      done: false,
      attempt: undefined,
      lastFailure: -Infinity,
    });
    if (kind === 'join') {
      const n = await this.cluster.addFresh();
      this.current = move(n.hostId);
      this.attempt(n.hostId, 'join', this.cluster.launchNode(n.hostId));
      return;
    }
    const hostId = this.rng.pick(this.candidates());
    this.current = move(hostId);
    if (kind === 'decommission') {
      this.note(`decommission: ${hostId}`);
    } else {
      this.note(`removenode: ${hostId} dies for good; another node will remove it`);
      this.cluster.retire(hostId, 'dead');
    }
  }

  /** Tracks a call made on behalf of the move; a failure is noted and retried later. */
  private attempt(by: HostId, what: string, call: Promise<unknown>): void {
    const attempt = { incarnation: this.cluster.byId(by).incarnation, settled: false, ok: false, by };
    if (this.current) this.current.attempt = attempt;
    call.then(
      () => {
        attempt.settled = true;
        attempt.ok = true;
      },
      (e: unknown) => {
        attempt.settled = true;
        // removenode of a node already gone: an earlier call got through after all.
        attempt.ok = e instanceof RingkvError && e.code === 'NOT_FOUND';
        if (this.current) this.current.lastFailure = this.time.nowMs;
        this.note(`${what} failed on ${by}: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  }

  /** An attempt still running in a live process. */
  private inFlight(m: Move): boolean {
    const a = m.attempt;
    return a !== undefined && !a.settled && this.cluster.byId(a.by).incarnation === a.incarnation;
  }

  private step(): void {
    const m = this.current;
    if (!m || m.done) return;
    const n = this.cluster.byId(m.hostId);
    // An operator's command to a paused node would hang until it resumes, and a stopping node
    // refuses it: wait for either to pass.
    if (n.paused || n.draining) return;
    if (m.kind === 'join') {
      if (this.cluster.truthRole(m.hostId) === 'normal') return this.complete(m);
      // A crashed joiner joins again when it restarts; one whose join failed exited: start it again.
      if (n.starting || this.inFlight(m)) return;
      if (!n.node) {
        if (n.exitedAt !== undefined && this.time.nowMs - n.exitedAt >= RETRY_AFTER_MS)
          this.attempt(m.hostId, 'restart', this.cluster.restart(m.hostId));
        return;
      }
      if (this.time.nowMs - m.lastFailure >= RETRY_AFTER_MS) this.attempt(m.hostId, 'join', n.node.join());
    } else if (m.kind === 'decommission') {
      if (n.retired === 'decommissioned' && n.leftCleanly) return this.complete(m);
      if (n.declared.status === 'LEFT') {
        // It said LEFT and died before it exited: the others may never hear it. An operator sees
        // it LEAVING and down, and removes it.
        if (!n.node && !n.starting) {
          n.retired = 'decommissioned';
          this.removeFromRing(m);
        }
        return;
      }
      if (!n.node || n.starting || this.inFlight(m) || this.time.nowMs - m.lastFailure < RETRY_AFTER_MS)
        return;
      this.attempt(m.hostId, 'decommission', n.node.decommission());
    } else {
      if (n.retired !== 'removed' && n.retired !== 'dead') return;
      this.removeFromRing(m);
    }
  }

  /**
   * removenode of the move's node, run again as an operator would until a call succeeds: a remover
   * that dies mid-way may not have spread (or even saved) the removal. Done when a call succeeded,
   * or when every member is running and has it LEFT.
   */
  private removeFromRing(m: Move): void {
    if (m.attempt?.ok === true && m.attempt.by !== m.hostId) return this.complete(m);
    if (this.inFlight(m) || this.time.nowMs - m.lastFailure < RETRY_AFTER_MS) return;
    const seesIt = (r: SimNode) => {
      const status = r.node?.membership.state(m.hostId)?.status;
      return status !== undefined && status !== 'LEFT';
    };
    const up = this.cluster.running().filter((r) => !r.starting && !r.paused && r.node);
    // Every member, not just those running: a remover that died before its removal spread may
    // come back without it, and with every member down or paused, "none sees it" holds vacuously.
    const everyMemberUp = this.cluster.members().every((r) => up.includes(r));
    if (m.attempt !== undefined && everyMemberUp && !up.some(seesIt)) return this.complete(m);
    const remover = up.find(
      (r) =>
        this.cluster.truthRole(r.hostId) === 'normal' && seesIt(r) && !r.node?.membership.isAlive(m.hostId),
    );
    if (!remover?.node) return;
    const call = remover.node.removeNode(m.hostId);
    this.attempt(remover.hostId, `removenode ${m.hostId}`, call);
    if (m.kind === 'removenode' && remover.node.membership.state(m.hostId)?.status === 'LEFT')
      this.markRemoved(m.hostId, remover.hostId);
  }

  private markRemoved(hostId: HostId, by: string): void {
    if (this.cluster.byId(hostId).retired === 'removed') return;
    this.cluster.retire(hostId, 'removed');
    this.removed.push(hostId);
    this.note(`${hostId} is out of the ring (removed by ${by})`);
  }

  private complete(m: Move): void {
    m.done = true;
    const after = this.cluster.truthRing();
    this.note(`${m.kind} of ${m.hostId} done`);
    const replication = { strategy: 'simple' as const, rf: RF };
    for (const key of this.keys) {
      const token = tokenOf(Buffer.from(key));
      const old = m.before.size > 0 ? replicasFor(m.before, replication, token).map((n) => n.hostId) : [];
      const now = after.size > 0 ? replicasFor(after, replication, token).map((n) => n.hostId) : [];
      const from = old.filter((h) => !now.includes(h));
      const to = now.filter((h) => !old.includes(h));
      if (from.length === 0 && to.length === 0) continue;
      this.keyMoves.push({
        key,
        kind: m.kind,
        hostId: m.hostId,
        start: m.start,
        end: this.time.nowMs,
        from,
        to,
      });
    }
  }
}
