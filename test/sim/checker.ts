import { cellsEqual, compareCells, reconcile, type Cell } from '../../src/protocol/cell.js';
import type { ConsistencyLevel } from '../../src/protocol/consistency.js';
import type { HostId } from '../../src/node/world.js';
import type { KeyMove, Op, ReplicaCell, Violation } from './history.js';

/**
 * What the history must satisfy. LWW orders writes by timestamp, not by when they happened: with
 * clock skew (or a client's own timestamps) a later write can lose to an earlier one (DESIGN.md
 * says so), so "newer" below always means "wins by last write wins", never "happened later". A
 * delete is a write of a tombstone and is checked as one; a value past its TTL reads as absent.
 *
 * Holders. A replica that acked a write holds it, or a cell that wins over it, for good: it acked
 * only once the cell was synced, crashes keep what was synced, and LWW never goes back. Moving
 * data adds holders: a joining node streams each range from the replica that gives it up (its
 * predecessor's last replica), a leaving node pushes its ranges to their new replicas, so a write
 * acked by the node giving a key up before the move began is on the node taking it over once the
 * move is done. removenode adds none: the dead node cannot stream, and the new replica copies
 * whichever survivor the remover picked; only repair makes that whole.
 *
 * (a) After healing, hint replay and repair, each key holds a cell that wins over (or equals)
 *     every acknowledged write of it, at every CL including ANY (a hint is durable on its holder
 *     and replayed once the target is back). Under membership changes this holds for a write that
 *     still has a holder (or a hint target, unless the hint died with a removed coordinator) among
 *     the key's final replicas, or whose key no change touched after the write began: a write
 *     whose only holders gave the key away without streaming it (acked by the old replica after
 *     the joiner had streamed, from a coordinator that had not yet heard of the join), or whose only
 *     holder was removed, is lost in Cassandra too.
 * (b) A read that starts after a write was acknowledged returns that write or one that wins over
 *     it, when either of these says the read must meet it:
 *     (i)  quorum intersection over holders: the read needs R answers from the n replicas in its
 *          coordinator's view and more than n - R of them hold the write. Pure arithmetic over what
 *          is on disk, so it holds under every fault and every change, stale views included.
 *     (ii) the contract: R + W > RF (ANY counts as W = 0). Cassandra keeps it through joins and
 *          leaves with pending ranges: while a node joins or leaves, writes also go to the node
 *          that will own the range and need W + pending acks, so the ring of the end still holds
 *          W of them; a joiner first waits ring delay so that every coordinator counts it, then
 *          streams from the replica it replaces. Two things it cannot cover, and (ii) excuses:
 *          a coordinator that had not yet heard of a change (a view lagging on a node that moves:
 *          ring delay is a guess at gossip's speed, not a bound), and a removenode of one of the
 *          key's replicas between write and read (the dead node held acks nobody can stream).
 *          Views lagging on nodes that do not move are never excused: that is a bug.
 * (c) After repair, all replicas of a key in the final ring hold the same cell.
 * (d) A put reported UNAVAILABLE reaches no replica: no replica write, hint or read ever carries its
 *     value. Deletes carry no value of their own, so only puts are checked.
 * Every cell a read or a replica shows must come from a write a client attempted (no invention),
 * with the timestamp and expiry it was written with; a read never returns a value whose TTL had run
 * out by its coordinator's clock. Writes that failed or timed out may or may not be applied: they
 * only count as explanations.
 */
export interface CheckInput {
  ops: readonly Op[];
  rf: number;
  /** After healing and repair: each key's replicas in the final ring and their cells. */
  finals: ReadonlyMap<string, readonly ReplicaCell[]>;
  /** Membership changes that completed, per key they moved. */
  moves?: readonly KeyMove[];
  /** Nodes taken out with removenode: dead for good, with the hints they held. */
  removed?: readonly HostId[];
}

export function writeCount(cl: ConsistencyLevel, rf: number): number {
  switch (cl) {
    case 'ANY':
      return 0;
    case 'ONE':
    case 'LOCAL_ONE':
      return 1;
    case 'TWO':
      return 2;
    case 'THREE':
      return 3;
    case 'QUORUM':
    case 'LOCAL_QUORUM':
    case 'EACH_QUORUM':
      return Math.floor(rf / 2) + 1;
    case 'ALL':
      return rf;
  }
}

function cellOf(op: Op): Cell | undefined {
  if (op.timestamp === undefined) return undefined;
  const cell: Cell = {
    value: op.kind === 'put' ? Buffer.from(op.value ?? '') : null,
    timestamp: op.timestamp,
  };
  if (op.expiresAt !== undefined) cell.expiresAt = op.expiresAt;
  return cell;
}

function show(cell: Cell | undefined): string {
  if (!cell) return 'nothing';
  const what = cell.value === null ? 'tombstone' : JSON.stringify(Buffer.from(cell.value).toString());
  return `${what} @${cell.timestamp}${cell.expiresAt !== undefined ? ` expires @${cell.expiresAt}` : ''}`;
}

export function best(ops: readonly Op[]): Op | undefined {
  let winner: Op | undefined;
  for (const op of ops) {
    const c = cellOf(op);
    const w = winner ? cellOf(winner) : undefined;
    if (c && (!w || compareCells(c, w) > 0)) winner = op;
  }
  return winner;
}

/** The nodes that hold a write (or a winner over it) by `at`: its ackers, plus where moves copied it. */
function holdersAt(w: Op, at: number, moves: readonly KeyMove[]): Set<HostId> {
  const held = new Set(w.acks ?? []);
  for (const m of moves) {
    if (m.end > at || m.kind === 'removenode') continue;
    if ((w.end ?? Infinity) < m.start && m.from.some((h) => held.has(h))) for (const h of m.to) held.add(h);
  }
  return held;
}

function reconciled(replicas: readonly ReplicaCell[]): Cell | undefined {
  let final: Cell | undefined;
  for (const r of replicas) final = reconcile(final, r.cell);
  return final;
}

/** (c) for one key: its replicas hold the same cell, or the violation that says they do not. */
function replicasDiffer(key: string, replicas: readonly ReplicaCell[]): Violation | undefined {
  const final = reconciled(replicas);
  if (replicas.every((r) => cellsEqual(r.cell, final))) return undefined;
  return {
    property: 'c',
    key,
    message: `replicas differ: ${replicas.map((r) => `${r.hostId}=${show(r.cell)}`).join(', ')}`,
  };
}

/** (c) alone, for every key: checked after hints and repair and before any read repairs. */
export function divergent(finals: ReadonlyMap<string, readonly ReplicaCell[]>): Violation[] {
  return [...finals].flatMap(([key, replicas]) => replicasDiffer(key, replicas) ?? []);
}

export function check(input: CheckInput): Violation[] {
  const out: Violation[] = [];
  const byKey = new Map<string, Op[]>();
  for (const op of input.ops) byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
  const unavailable = new Set(
    input.ops.filter((o) => o.kind === 'put' && o.code === 'UNAVAILABLE').map((o) => o.value as string),
  );
  const allMoves = [...(input.moves ?? [])].sort((a, b) => a.end - b.end);
  const moving = new Set(allMoves.map((m) => m.hostId));
  const removed = new Set(input.removed ?? []);
  const lagsOnMove = (op: Op) => (op.lagging ?? []).some((h) => moving.has(h));

  for (const [key, ops] of byKey) {
    const moves = allMoves.filter((m) => m.key === key);
    const writes = ops.filter((o) => o.kind !== 'get');
    const putsByValue = new Map(writes.filter((o) => o.kind === 'put').map((o) => [o.value as string, o]));
    const acked = writes.filter((o) => o.outcome === 'ok');

    /** Why a cell seen before `by` exists, or a reason it cannot. */
    const provenance = (cell: Cell, by: number, expiryKnown: boolean): string | undefined => {
      if (cell.value === null) {
        const ok = writes.some(
          (w) =>
            w.kind === 'del' &&
            w.start <= by &&
            (w.timestamp === undefined || w.timestamp === cell.timestamp),
        );
        return ok ? undefined : `tombstone @${cell.timestamp} matches no delete`;
      }
      const value = Buffer.from(cell.value).toString();
      const w = putsByValue.get(value);
      if (!w || w.start > by) return `value ${JSON.stringify(value)} was never written`;
      if (w.timestamp !== undefined && w.timestamp !== cell.timestamp)
        return `value ${JSON.stringify(value)} has timestamp ${cell.timestamp}, written with ${w.timestamp}`;
      if (expiryKnown && (w.ttl === undefined) !== (cell.expiresAt === undefined))
        return `value ${JSON.stringify(value)} ${w.ttl === undefined ? 'gained an expiry' : `lost its TTL of ${w.ttl} s`}`;
      if (expiryKnown && w.expiresAt !== undefined && cell.expiresAt !== w.expiresAt)
        return `value ${JSON.stringify(value)} expires @${cell.expiresAt}, written to expire @${w.expiresAt}`;
      if (unavailable.has(value))
        return `value ${JSON.stringify(value)} was written by a put reported UNAVAILABLE`;
      return undefined;
    };

    // (c) and the final cell
    const finals = input.finals.get(key) ?? [];
    const finalReplicas = new Set(finals.map((r) => r.hostId));
    const final = reconciled(finals);
    const differ = replicasDiffer(key, finals);
    if (differ) out.push(differ);
    if (final) {
      const why = provenance(final, Infinity, true);
      if (why)
        out.push({
          property: unavailable.size > 0 && why.includes('UNAVAILABLE') ? 'd' : 'a',
          key,
          message: `final cell: ${why}`,
        });
    }

    // (a)
    const mustSurvive = acked.filter((w) => {
      // Acked on hints alone (ANY), a write lives only on its coordinator until the hints are
      // replayed: removed for good before that, it takes the write with it, as in Cassandra.
      if ((w.acks ?? []).length === 0 && removed.has(w.node)) return false;
      if (!moves.some((m) => m.end > w.start)) return true;
      const survivors = holdersAt(w, Infinity, moves);
      if (!removed.has(w.node)) for (const h of w.hinted ?? []) survivors.add(h);
      return [...survivors].some((h) => finalReplicas.has(h));
    });
    const top = best(mustSurvive);
    const topCell = top ? cellOf(top) : undefined;
    if (top && topCell && (!final || compareCells(final, topCell) < 0)) {
      out.push({
        property: 'a',
        key,
        message: `op #${top.id} (${top.kind} at ${top.cl}, ${show(topCell)}) was acknowledged, but the replicas hold ${show(final)}`,
      });
    }

    // (b)
    for (const r of ops) {
      const readEnd = r.end;
      if (r.kind !== 'get' || r.outcome !== 'ok' || readEnd === undefined) continue;
      const seen: Cell | undefined = r.found
        ? { value: Buffer.from(r.readValue ?? ''), timestamp: r.timestamp ?? -1 }
        : undefined;
      if (seen) {
        const why = provenance(seen, readEnd, false);
        if (why)
          out.push({
            property: unavailable.has(r.readValue ?? '') ? 'd' : 'b',
            key,
            message: `read #${r.id}: ${why}`,
          });
        const p = putsByValue.get(r.readValue ?? '');
        if (p?.expiresAt !== undefined && !r.clockStepped && p.expiresAt <= (r.wallStart ?? -Infinity))
          out.push({
            property: 'b',
            key,
            message: `read #${r.id} returned ${JSON.stringify(p.value)}, which expired @${p.expiresAt}, before the read began @${r.wallStart}`,
          });
      }
      const need = writeCount(r.cl, input.rf);
      const rset = r.replicas ?? [];
      const removedBetween = (w: Op) =>
        moves.some((m) => m.kind === 'removenode' && m.end > w.start && m.start < r.start);
      const must = best(
        acked.filter((w) => {
          if ((w.end ?? Infinity) >= r.start) return false;
          const held = holdersAt(w, r.start, moves);
          const inReach = rset.filter((h) => held.has(h)).length;
          if (inReach > 0 && inReach > rset.length - need) return true;
          return (
            writeCount(w.cl, input.rf) + need > input.rf &&
            !lagsOnMove(w) &&
            !lagsOnMove(r) &&
            !removedBetween(w)
          );
        }),
      );
      const mustCell = must ? cellOf(must) : undefined;
      if (!must || !mustCell) continue;
      if (seen) {
        if (compareCells(seen, mustCell) < 0) {
          out.push({
            property: 'b',
            key,
            message: `read #${r.id} at ${r.cl} returned ${show(seen)}, older than op #${must.id} (${must.kind} at ${must.cl}, ${show(mustCell)}) acknowledged before it started`,
          });
        }
      } else if (mustCell.value !== null) {
        // Not found: a delete or an expired value that wins over the write must explain it (the
        // timestamp of one that failed may be unknown).
        const latestWall = Math.max(r.wallStart ?? Infinity, r.wallEnd ?? Infinity);
        const explained = writes.some((w) => {
          if (w.start > readEnd) return false;
          if (w.kind === 'del')
            return (
              w.timestamp === undefined ||
              compareCells({ value: null, timestamp: w.timestamp }, mustCell) >= 0
            );
          if (w.ttl === undefined) return false;
          const c = cellOf(w);
          return (
            c === undefined ||
            (compareCells(c, mustCell) >= 0 &&
              (r.clockStepped === true || (c.expiresAt ?? Infinity) <= latestWall))
          );
        });
        if (!explained) {
          out.push({
            property: 'b',
            key,
            message: `read #${r.id} at ${r.cl} found nothing, but op #${must.id} (put at ${must.cl}, ${show(mustCell)}) was acknowledged before it started`,
          });
        }
      }
    }
  }
  return out;
}
