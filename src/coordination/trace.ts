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

  add(event: string): void {
    this.events.push({
      at: Math.round((this.clock.monotonicMs() - this.startMs) * 1000),
      node: this.node,
      event,
    });
  }
}
