import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { dial } from '../protocol/dial.js';
import { decodeFrame, FrameBatcher } from '../protocol/codec.js';
import { asRingkvError, NoAnswerError, nodeStopping, RingkvError } from '../protocol/errors.js';
import { SHUTTING_DOWN } from '../protocol/socket.js';
import { MAX_VALUE_BYTES_CEILING, maxFrameBytesFor } from '../protocol/limits.js';
import type { OpName, OpRequest, OpResult } from '../protocol/ops/index.js';
import type { WireMessage } from '../protocol/validate.js';
import { InOrderParser, parseResultSoon } from '../protocol/validate-soon.js';

export interface ConnectionOptions {
  clusterName: string;
  secret?: string | undefined;
  /** Limit for the handshake and the default for each request. */
  timeoutMs: number;
  /** Coalesce the requests of one event-loop turn into one frame (default true). */
  coalesce?: boolean;
  /** Abandons the handshake if it has not finished (the client closing). */
  signal?: AbortSignal | undefined;
}

/** ws copies its send options, so every frame can share one object instead of allocating its own. */
const BINARY_FRAME = { binary: true } as const;

/**
 * Timers fire on a millisecond clock that can run a little behind performance.now(): a request
 * this close to its deadline when the sweep runs has had its time.
 */
const DEADLINE_SLACK_MS = 1;

interface Pending {
  op: OpName;
  startedMs: number;
  limitMs: number;
  /** startedMs + limitMs: when the request times out, on performance.now()'s clock. */
  deadlineMs: number;
  resolve: (result: unknown) => void;
  reject: (error: RingkvError) => void;
}

/**
 * One authenticated WebSocket connection from a client to a node. Requests carry ids and are
 * answered in any order; routing, retries and picking another node are the caller's business.
 *
 * A request the node does not answer within its timeout fails with OVERLOADED ("no answer from
 * ws://... within N ms"): the node is reachable but not keeping up, and the request may or may not
 * have been applied. READ_TIMEOUT and WRITE_TIMEOUT stay reserved for the coordinator's own verdict.
 * One timer per connection, set for the earliest deadline, enforces them: a timer per request cost
 * a setTimeout and a clearTimeout on every request, although hardly any ever times out.
 */
export class Connection {
  readonly address: string;
  /** The host id of the node at the other end. */
  readonly serverHostId: string;
  /** The largest value that node takes, when it said (nodes before it did not). */
  readonly maxValueBytes: number | undefined;
  /** Called with each answered request's round-trip time in ms, e.g. to rank nodes by latency. */
  onRoundTrip: ((ms: number, op: OpName) => void) | undefined;

  readonly #ws: WebSocket;
  readonly #options: ConnectionOptions;
  readonly #batcher: FrameBatcher;
  readonly #pending = new Map<number, Pending>();
  readonly #eventHandlers = new Set<(event: string, body: unknown) => void>();
  readonly #closeHandlers = new Set<(reason: RingkvError) => void>();
  readonly #parser = new InOrderParser(
    (message) => this.#handle(message),
    (error) => this.#fail(error),
  );
  #nextId = 1;
  #closedBy: RingkvError | undefined;
  #sweep: NodeJS.Timeout | undefined;
  /** The deadline the sweep timer is set for; Infinity when none is set. */
  #sweepAtMs = Infinity;

  private constructor(
    ws: WebSocket,
    address: string,
    welcome: { hostId: string; maxValueBytes?: number | undefined },
    options: ConnectionOptions,
  ) {
    this.#ws = ws;
    this.address = address;
    this.serverHostId = welcome.hostId;
    this.maxValueBytes = welcome.maxValueBytes;
    this.#options = options;
    this.#batcher = new FrameBatcher((frame) => this.#write(frame), { coalesce: options.coalesce ?? true });
    ws.on('message', (data, isBinary) => {
      if (!isBinary || !(data instanceof Uint8Array)) {
        this.#fail(new RingkvError('PROTOCOL_ERROR', `${address} sent a frame that is not binary`));
        return;
      }
      this.#receive(data);
    });
    ws.on('close', (code, reason) => this.#closed(code, reason.toString()));
    ws.on('error', () => {
      // The close event follows and says what is left to say.
    });
  }

  /** Dials `address` (ws://host:port) and runs the handshake as role client. */
  static open(address: string, options: ConnectionOptions): Promise<Connection> {
    return dial(
      address,
      { role: 'client', clusterName: options.clusterName, secret: options.secret },
      {
        timeoutMs: options.timeoutMs,
        // Any node's answer, a value as large as its limit allows, whatever the default is.
        maxPayloadBytes: maxFrameBytesFor(MAX_VALUE_BYTES_CEILING),
        signal: options.signal,
      },
      ({ ws, welcome, rest }) => {
        // Listeners are attached before the dial returns, so no frame is missed.
        const connection = new Connection(ws, address, welcome, options);
        connection.#parser.push(rest);
        return connection;
      },
    );
  }

  get closed(): boolean {
    return this.#closedBy !== undefined;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  request<K extends OpName>(op: K, body: OpRequest<K>, timeoutMs?: number): Promise<OpResult<K>> {
    if (this.#closedBy !== undefined) return Promise.reject(this.#closedBy);
    const id = this.#nextId++;
    const limitMs = timeoutMs ?? this.#options.timeoutMs;
    return new Promise<OpResult<K>>((resolve, reject) => {
      const startedMs = performance.now();
      const deadlineMs = startedMs + limitMs;
      this.#pending.set(id, {
        op,
        startedMs,
        limitMs,
        deadlineMs,
        resolve: resolve as (result: unknown) => void,
        reject,
      });
      if (deadlineMs < this.#sweepAtMs) this.#sweepAt(deadlineMs, startedMs);
      try {
        this.#batcher.push({ type: 'req', id, op, body });
      } catch (e) {
        // A sweep set for this request finds nothing to do.
        this.#pending.delete(id);
        reject(new RingkvError('INVALID_REQUEST', `cannot encode the ${op} request: ${String(e)}`));
      }
    });
  }

  /** Events the node pushes; returns a function that unsubscribes. */
  onEvent(handler: (event: string, body: unknown) => void): () => void {
    this.#eventHandlers.add(handler);
    return () => this.#eventHandlers.delete(handler);
  }

  /** Called once when the connection closes, with why; returns a function that unsubscribes. */
  onClose(handler: (reason: RingkvError) => void): () => void {
    this.#closeHandlers.add(handler);
    return () => this.#closeHandlers.delete(handler);
  }

  close(): void {
    if (this.#closedBy !== undefined) return;
    this.#batcher.flush();
    this.#shutDown(
      new RingkvError('NO_HOST_AVAILABLE', `the connection to ${this.address} was closed by this client`),
    );
    this.#ws.close(1000, 'client done');
  }

  #sweepAt(deadlineMs: number, nowMs: number): void {
    if (this.#sweep !== undefined) clearTimeout(this.#sweep);
    this.#sweepAtMs = deadlineMs;
    this.#sweep = setTimeout(this.#expire, Math.max(deadlineMs - nowMs, 1));
  }

  /** Fails the requests whose time is up, and sets the timer for the next deadline. */
  readonly #expire = (): void => {
    this.#sweep = undefined;
    this.#sweepAtMs = Infinity;
    const nowMs = performance.now();
    let next = Infinity;
    for (const [id, pending] of this.#pending) {
      if (pending.deadlineMs > nowMs + DEADLINE_SLACK_MS) {
        next = Math.min(next, pending.deadlineMs);
        continue;
      }
      this.#pending.delete(id);
      pending.reject(
        new NoAnswerError(`no answer from ${this.address} within ${pending.limitMs} ms`, {
          address: this.address,
          op: pending.op,
          timeoutMs: pending.limitMs,
        }),
      );
    }
    if (next !== Infinity) this.#sweepAt(next, nowMs);
  };

  #write(frame: Uint8Array): void {
    if (this.#closedBy === undefined && this.#ws.readyState === this.#ws.OPEN)
      this.#ws.send(frame, BINARY_FRAME);
  }

  #receive(data: Uint8Array): void {
    let values: unknown[];
    try {
      values = decodeFrame(data);
    } catch (e) {
      this.#fail(e as RingkvError);
      return;
    }
    this.#parser.push(values);
  }

  #handle(message: WireMessage): void {
    if (this.#closedBy !== undefined) return;
    switch (message.type) {
      case 'res': {
        const pending = this.#pending.get(message.id);
        // A late answer to a request that already timed out.
        if (pending === undefined) return;
        this.#pending.delete(message.id);
        this.onRoundTrip?.(performance.now() - pending.startedMs, pending.op);
        if (!message.ok) {
          pending.reject(RingkvError.fromWire(message.error));
          return;
        }
        try {
          const result = parseResultSoon(pending.op, message.result);
          if (result instanceof Promise) {
            result.then(pending.resolve, (e: unknown) => pending.reject(asRingkvError(e)));
          } else {
            pending.resolve(result);
          }
        } catch (e) {
          pending.reject(asRingkvError(e));
        }
        return;
      }
      case 'event':
        for (const handler of this.#eventHandlers) handler(message.event, message.body);
        return;
      case 'error':
        // The node says why it is about to close; that reason beats the bare close code.
        this.#shutDown(RingkvError.fromWire(message.error));
        return;
      default:
        this.#fail(
          new RingkvError('PROTOCOL_ERROR', `${this.address} sent an unexpected ${message.type} message`),
        );
    }
  }

  #fail(error: RingkvError): void {
    this.#shutDown(error);
    this.#ws.close(1002, Buffer.from(error.message).subarray(0, 120).toString());
  }

  #closed(code: number, reason: string): void {
    if (code === 1009) {
      this.#shutDown(
        new RingkvError(
          'PROTOCOL_ERROR',
          // Batches stay under the frame limit, so it is one request's key or value.
          `${this.address} refused a frame larger than it accepts: a key or value past its limits (start nodes with --max-value-bytes to raise the value's)`,
        ),
      );
      return;
    }
    if (code === SHUTTING_DOWN.code && reason === SHUTTING_DOWN.reason) {
      // The node answered all it began: what is left was never begun, like a request it refuses
      // while it stops (the client sends both to the next node).
      this.#shutDown(nodeStopping(this.address, { address: this.address }));
      return;
    }
    const why = reason.length > 0 ? reason : `close code ${code}`;
    this.#shutDown(
      new RingkvError('NO_HOST_AVAILABLE', `the connection to ${this.address} closed (${why})`, {
        address: this.address,
      }),
    );
  }

  /** Fails every request in flight with `reason`: they may or may not have been applied. */
  #shutDown(reason: RingkvError): void {
    if (this.#closedBy !== undefined) return;
    this.#closedBy = reason;
    this.#batcher.discard();
    if (this.#sweep !== undefined) clearTimeout(this.#sweep);
    this.#sweep = undefined;
    this.#sweepAtMs = Infinity;
    for (const pending of this.#pending.values()) pending.reject(reason);
    this.#pending.clear();
    for (const handler of this.#closeHandlers) handler(reason);
  }
}
