import { asRingkvError, NoAnswerError, RingkvError } from '../protocol/errors.js';
import type { OpName, OpRequest, OpResult } from '../protocol/ops/index.js';
import { parseRequest, parseResult } from '../protocol/validate.js';
import type { Clock, HostId, PeerMessage, Timer, Transport } from './world.js';

export type PeerHandler = (from: HostId, op: OpName, body: unknown) => Promise<unknown>;

interface Pending {
  to: HostId;
  op: OpName;
  resolve(result: unknown): void;
  reject(error: RingkvError): void;
  timer: Timer;
}

/** A request that got no answer in time. Callers decide what that means (timeout, hint, retry). */
export class PeerTimeout extends NoAnswerError {
  constructor(to: HostId, op: string, timeoutMs: number) {
    super(`no answer from ${to} to ${op} within ${timeoutMs} ms`, { to });
  }
}

/** A request whose answer cannot come: the connection it went out on is gone. */
export class PeerUnreachable extends RingkvError {
  constructor(to: HostId, op: string, reason: string) {
    super('NO_HOST_AVAILABLE', `no answer from ${to} to ${op}: ${reason}`, { to, reason });
  }
}

/**
 * Request/response between nodes over a fire-and-forget Transport: request ids, timeouts on the
 * injected clock, and validation of what comes back. A request to the node itself skips the
 * network, since the coordinator is usually one of the replicas.
 */
export class PeerRpc {
  private nextId: number;
  private readonly pending = new Map<number, Pending>();

  /**
   * `firstRequestId` must differ from one start of the node to the next (a random one does): a
   * peer may answer a request of the node's previous process after the node restarted, and the
   * answer, addressed by host id, reaches the new process. Were its ids to start where the old
   * ones did, that answer would settle the new request of the same id: an ack for a write the peer
   * never took.
   */
  constructor(
    private readonly self: HostId,
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly handler: PeerHandler,
    firstRequestId: number,
  ) {
    this.nextId = firstRequestId;
    transport.onMessage((from, message) => this.receive(from, message));
    transport.onPeerDisconnected((hostId, reason) => this.failPeer(hostId, reason));
  }

  request<K extends OpName>(to: HostId, op: K, body: OpRequest<K>, timeoutMs: number): Promise<OpResult<K>> {
    if (to === this.self) return this.handler(this.self, op, body) as Promise<OpResult<K>>;
    return new Promise<OpResult<K>>((resolve, reject) => {
      const id = this.nextId++;
      const timer = this.clock.setTimer(timeoutMs, () => {
        this.pending.delete(id);
        reject(new PeerTimeout(to, op, timeoutMs));
      });
      this.pending.set(id, { to, op, resolve: resolve, reject, timer });
      this.transport.send(to, { type: 'req', id, op, body });
    });
  }

  /** Fails every request in flight, e.g. when the node stops. */
  failAll(reason: string): void {
    for (const [id, p] of this.pending) {
      p.timer.cancel();
      p.reject(new RingkvError('SERVER_ERROR', reason));
      this.pending.delete(id);
    }
  }

  /** Fails at once the requests a lost connection will never answer, as a timeout would later. */
  private failPeer(hostId: HostId, reason: string): void {
    for (const [id, p] of this.pending) {
      if (p.to !== hostId) continue;
      p.timer.cancel();
      this.pending.delete(id);
      p.reject(new PeerUnreachable(hostId, p.op, reason));
    }
  }

  private receive(from: HostId, message: PeerMessage): void {
    if (message.type === 'req') {
      void this.serve(from, message.id, message.op, message.body);
    } else if (message.type === 'res') {
      const p = this.pending.get(message.id);
      // A late or duplicated answer (the caller has moved on), or one from a peer this id was not
      // sent to: an answer to an earlier process of this node, which must not settle this one's.
      if (!p || p.to !== from) return;
      this.pending.delete(message.id);
      p.timer.cancel();
      if (message.ok) {
        try {
          p.resolve(parseResult(p.op, message.result));
        } catch (e) {
          p.reject(asRingkvError(e));
        }
      } else {
        p.reject(RingkvError.fromWire(message.error));
      }
    }
  }

  private async serve(from: HostId, id: number, op: string, rawBody: unknown): Promise<void> {
    try {
      const valid = parseRequest({ type: 'req', id, op, body: rawBody });
      const result = await this.handler(from, valid.op, valid.body);
      this.transport.send(from, { type: 'res', id, ok: true, result });
    } catch (e) {
      this.transport.send(from, { type: 'res', id, ok: false, error: asRingkvError(e).toWire() });
    }
  }
}
