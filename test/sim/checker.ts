import { cellsEqual, compareCells, reconcile, type Cell } from '../../src/protocol/cell.js';
import type { ConsistencyLevel } from '../../src/protocol/consistency.js';
import type { Op, ReplicaCell, Violation } from './history.js';

/**
 * What the history must satisfy. LWW orders writes by timestamp, not by when they happened: with
 * clock skew a later write can lose to an earlier one (DESIGN.md says so), so "newer" below always
 * means "wins by last write wins", never "happened later".
 *
 * (a) After healing, hint replay and repair, each key holds a cell that wins over (or equals)
 *     every acknowledged write of it, at every CL including ANY (a hint is durable on its holder
 *     and replayed once the target is back). Holds under every fault: acks follow synced writes.
 * (b) A read at CL R that starts after a write at CL W was acknowledged, R + W > RF, returns that
 *     write or one that wins over it. ANY counts as W = 0 (only a hint may hold it). The ring never
 *     changes here, so read and write quorums always intersect; concurrent writes can only return
 *     something newer, so they need no exclusion. Holds under every fault.
 * (c) After repair, all replicas of a key hold the same cell.
 * (d) A put reported UNAVAILABLE reaches no replica: no replica write, hint or read ever carries its
 *     value. Deletes carry no value of their own, so only puts are checked.
 * Every cell a read or a replica shows must come from a write a client attempted (no invention).
 * Writes that failed or timed out may or may not be applied: they only count as explanations.
 */
export interface CheckInput {
  ops: readonly Op[];
  rf: number;
  /** After healing and repair: each key's replicas and their cells. */
  finals: ReadonlyMap<string, readonly ReplicaCell[]>;
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
  return { value: op.kind === 'put' ? Buffer.from(op.value ?? '') : null, timestamp: op.timestamp };
}

function show(cell: Cell | undefined): string {
  if (!cell) return 'nothing';
  return `${cell.value === null ? 'tombstone' : JSON.stringify(Buffer.from(cell.value).toString())} @${cell.timestamp}`;
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

export function check(input: CheckInput): Violation[] {
  const out: Violation[] = [];
  const byKey = new Map<string, Op[]>();
  for (const op of input.ops) byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
  const unavailable = new Set(
    input.ops.filter((o) => o.kind === 'put' && o.code === 'UNAVAILABLE').map((o) => o.value as string),
  );

  for (const [key, ops] of byKey) {
    const writes = ops.filter((o) => o.kind !== 'get');
    const putsByValue = new Map(writes.filter((o) => o.kind === 'put').map((o) => [o.value as string, o]));
    const acked = writes.filter((o) => o.outcome === 'ok');

    /** Why a cell seen before `by` exists, or a reason it cannot. */
    const provenance = (cell: Cell, by: number): string | undefined => {
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
      if (unavailable.has(value))
        return `value ${JSON.stringify(value)} was written by a put reported UNAVAILABLE`;
      return undefined;
    };

    // (c) and the final cell
    const finals = input.finals.get(key) ?? [];
    let final: Cell | undefined;
    for (const r of finals) final = reconcile(final, r.cell);
    const differ = finals.filter((r) => !cellsEqual(r.cell, final));
    if (differ.length > 0) {
      out.push({
        property: 'c',
        key,
        message: `replicas differ: ${finals.map((r) => `${r.hostId}=${show(r.cell)}`).join(', ')}`,
      });
    }
    if (final) {
      const why = provenance(final, Infinity);
      if (why)
        out.push({
          property: unavailable.size > 0 && why.includes('UNAVAILABLE') ? 'd' : 'a',
          key,
          message: `final cell: ${why}`,
        });
    }

    // (a)
    const top = best(acked);
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
      if (r.kind !== 'get' || r.outcome !== 'ok' || r.end === undefined) continue;
      const seen: Cell | undefined = r.found
        ? { value: Buffer.from(r.readValue ?? ''), timestamp: r.timestamp ?? -1 }
        : undefined;
      if (seen) {
        const why = provenance(seen, r.end);
        if (why)
          out.push({
            property: unavailable.has(r.readValue ?? '') ? 'd' : 'b',
            key,
            message: `read #${r.id}: ${why}`,
          });
      }
      const must = best(
        acked.filter(
          (w) =>
            (w.end ?? Infinity) < r.start &&
            writeCount(w.cl, input.rf) + writeCount(r.cl, input.rf) > input.rf,
        ),
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
        // Not found: a delete that wins over the write must explain it (its timestamp may be unknown).
        const explained = writes.some(
          (w) =>
            w.kind === 'del' &&
            w.start <= (r.end ?? Infinity) &&
            (w.timestamp === undefined ||
              compareCells({ value: null, timestamp: w.timestamp }, mustCell) >= 0),
        );
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
