import type { Clock } from './world.js';

export interface TraceEntry {
  /** Microseconds since the request started. */
  at: number;
  node: string;
  event: string;
}

/** The events of one traced request, as the coordinator saw them. */
export class Trace {
  readonly events: TraceEntry[] = [];
  private readonly startMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly node: string,
  ) {
    this.startMs = clock.monotonicMs();
  }

  /** Microseconds since this trace started. */
  elapsedMicros(): number {
    return Math.round((this.clock.monotonicMs() - this.startMs) * 1000);
  }

  add(event: string): void {
    this.events.push({ at: this.elapsedMicros(), node: this.node, event });
  }

  /**
   * Takes in the events another party traced for a request it got from us `sentAtMicros` into
   * this trace: their times count from when they received it, so they are shifted to ours (the
   * one-way network delay is not known and is left out).
   */
  absorb(events: readonly TraceEntry[], sentAtMicros: number): void {
    for (const e of events) this.events.push({ ...e, at: e.at + sentAtMicros });
    this.events.sort((a, b) => a.at - b.at);
  }
}
