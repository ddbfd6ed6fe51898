import { RingkvError } from '../protocol/errors.js';
import type { UniformSource } from './random.js';
import { ScrambledZipfian } from './zipfian.js';

export type WorkloadName = 'write' | 'read' | 'A' | 'B' | 'C';
export type Distribution = 'uniform' | 'zipfian';
export type OperationKind = 'read' | 'write';

export interface WorkloadSpec {
  name: WorkloadName;
  /** Share of operations that are reads, 0..1. */
  readFraction: number;
  /** Reads need the records to exist first, or they only measure misses. */
  needsLoad: boolean;
  description: string;
}

/** YCSB's core workloads A, B and C, plus pure writes and pure reads. */
export const WORKLOADS: Readonly<Record<WorkloadName, WorkloadSpec>> = {
  write: { name: 'write', readFraction: 0, needsLoad: false, description: 'writes only' },
  read: { name: 'read', readFraction: 1, needsLoad: true, description: 'reads only' },
  A: { name: 'A', readFraction: 0.5, needsLoad: true, description: 'update heavy: 50% reads, 50% writes' },
  B: { name: 'B', readFraction: 0.95, needsLoad: true, description: 'read mostly: 95% reads, 5% writes' },
  C: { name: 'C', readFraction: 1, needsLoad: true, description: 'read only' },
};

export function parseWorkload(input: string): WorkloadSpec {
  const t = input.trim();
  const name = (
    ['write', 'read'].includes(t.toLowerCase()) ? t.toLowerCase() : t.toUpperCase()
  ) as WorkloadName;
  const spec = WORKLOADS[name];
  if (!spec) throw new RingkvError('USAGE', `workload "${input}" is not one of write, read, A, B, C`);
  return spec;
}

/** Picks read or write for each operation in the workload's proportions. */
export class OperationMix {
  constructor(
    private readonly readFraction: number,
    private readonly uniform: UniformSource,
  ) {
    if (!(readFraction >= 0 && readFraction <= 1))
      throw new RangeError(`read fraction ${readFraction} is not in 0..1`);
  }

  next(): OperationKind {
    if (this.readFraction === 1) return 'read';
    if (this.readFraction === 0) return 'write';
    return this.uniform() < this.readFraction ? 'read' : 'write';
  }
}

/** Picks record numbers in [0, records). */
export interface KeyChooser {
  next(): number;
}

export function keyChooser(distribution: Distribution, records: number, uniform: UniformSource): KeyChooser {
  if (distribution === 'zipfian') return new ScrambledZipfian(records, uniform);
  return { next: () => Math.floor(uniform() * records) };
}

/** The key of record i, YCSB-style, so that records keep their names across runs. */
export function recordKey(i: number): string {
  return `user${i}`;
}
