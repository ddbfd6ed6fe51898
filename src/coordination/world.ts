import type { OpName, OpRequest, OpResult } from '../protocol/ops/index.js';

/**
 * Coordination (counting replica answers against a consistency level, hints, read repair) runs
 * in a node and, with `--coordination client`, in the client. It reaches replicas and time only
 * through these interfaces; node/world.ts builds the node's larger world on them.
 */
export type HostId = string;

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall clock in microseconds since the epoch (may be skewed between nodes). */
  nowMicros(): number;
  /** A clock for measuring durations, in ms; never goes backwards. */
  monotonicMs(): number;
  setTimer(delayMs: number, fn: () => void): Timer;
  /**
   * Runs fn once the work the current event-loop turn brought is done (protocol/turn.ts), so what
   * that work produces (replica writes to one peer, say) can leave together.
   */
  defer(fn: () => void): void;
}

/** Sends one request to one replica and waits for its answer or the timeout. */
export interface ReplicaChannel {
  request<K extends OpName>(to: HostId, op: K, body: OpRequest<K>, timeoutMs: number): Promise<OpResult<K>>;
}

/** Write timestamps: never backwards, never repeated (a hybrid logical clock). */
export interface TimestampSource {
  now(): number;
  observe(remoteMicros: number): unknown;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}
