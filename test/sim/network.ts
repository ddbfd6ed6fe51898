import { decodeFrame, encodeMessage } from '../../src/protocol/codec.js';
import { parseMessage } from '../../src/protocol/validate.js';
import type { HostId, PeerMessage, Transport } from '../../src/node/world.js';
import type { Prng } from './prng.js';
import type { VirtualTime } from './virtual-time.js';

/** How the network misbehaves right now. The fault schedule changes it; healing resets it. */
export interface LinkFaults {
  dropRate: number;
  duplicateRate: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  /** Share of messages that take up to ten times maxLatencyMs (a stalled link). */
  spikeRate: number;
}

export const CALM: LinkFaults = {
  dropRate: 0,
  duplicateRate: 0,
  minLatencyMs: 0.2,
  maxLatencyMs: 3,
  spikeRate: 0,
};

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  blocked: number;
}

interface Endpoint {
  incarnation: number;
  up: boolean;
  handler: ((from: HostId, message: PeerMessage) => void) | undefined;
  lost: ((hostId: HostId, reason: string) => void)[];
}

/**
 * The simulated network between node processes: every message goes through msgpack and
 * validation as on the wire, and is then delayed by a random latency (so messages reorder),
 * dropped, duplicated, or blocked by a partition. A message addressed to a process that has died
 * since is lost, as on a closed connection. A process that dies resets its connections, so its
 * peers hear of it a latency later, and a send to a dead process is refused; a partition, like a
 * stopped process, says nothing.
 */
export class SimNetwork {
  faults: LinkFaults = { ...CALM };
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, blocked: 0 };
  private readonly endpoints = new Map<HostId, Endpoint>();
  /** Active partitions by id: each blocks a set of directed links "from>to". */
  private readonly blocks = new Map<number, Set<string>>();
  private nextBlock = 1;
  /** Request ids each process ("host#incarnation") sent. */
  private readonly requestIds = new Map<string, Set<number>>();
  /** Which process of the asker a request reached the server from, by "server<asker#id". */
  private readonly askedBy = new Map<string, number>();
  /**
   * Answers that reached a later process of the asker than the one that asked, while that process
   * had a request of the same id out (property e): it may take the answer for its own.
   */
  readonly anomalies: string[] = [];
  /** Sees every message as it is delivered (the checker looks for writes that must not exist). */
  inspect: ((from: HostId, to: HostId, message: PeerMessage) => void) | undefined;
  /**
   * Hands what arrives for a host to its process: at once, or once it runs again if it is paused
   * (a stopped process finds in its socket buffers what arrived while it was stopped).
   */
  handOver: (to: HostId, receive: () => void) => void = (_to, receive) => receive();

  constructor(
    private readonly time: VirtualTime,
    private readonly rng: Prng,
  ) {}

  /** A new process for hostId starts: earlier incarnations' messages no longer reach it. */
  attach(hostId: HostId): Transport {
    const previous = this.endpoints.get(hostId);
    const endpoint: Endpoint = {
      incarnation: (previous?.incarnation ?? 0) + 1,
      up: true,
      handler: undefined,
      lost: [],
    };
    this.endpoints.set(hostId, endpoint);
    return {
      send: (to, message) => {
        if (endpoint.up) this.send(hostId, to, message);
      },
      onMessage: (handler) => {
        endpoint.handler = handler;
      },
      onPeerDisconnected: (handler) => {
        endpoint.lost.push(handler);
      },
    };
  }

  /** The process dies: it sends and receives nothing more, and its peers' connections reset. */
  detach(hostId: HostId): void {
    const endpoint = this.endpoints.get(hostId);
    if (!endpoint) return;
    endpoint.up = false;
    for (const [peer, other] of this.endpoints) {
      if (peer !== hostId && other.up && this.canReach(hostId, peer)) {
        this.tellLost(peer, other.incarnation, hostId, 'the connection closed (reset)');
      }
    }
  }

  isUp(hostId: HostId): boolean {
    return this.endpoints.get(hostId)?.up ?? false;
  }

  canReach(from: HostId, to: HostId): boolean {
    const link = `${from}>${to}`;
    for (const b of this.blocks.values()) if (b.has(link)) return false;
    return true;
  }

  /** Blocks the links from every node of `from` to every node of `to` (and back, unless oneWay). */
  partition(from: readonly HostId[], to: readonly HostId[], oneWay: boolean): number {
    const links = new Set<string>();
    for (const a of from) {
      for (const b of to) {
        if (a === b) continue;
        links.add(`${a}>${b}`);
        if (!oneWay) links.add(`${b}>${a}`);
      }
    }
    const id = this.nextBlock++;
    this.blocks.set(id, links);
    return id;
  }

  unblock(id: number): void {
    this.blocks.delete(id);
  }

  healAll(): void {
    this.blocks.clear();
    this.faults = { ...CALM };
  }

  private send(from: HostId, to: HostId, message: PeerMessage): void {
    this.stats.sent++;
    const fromIncarnation = this.endpoints.get(from)?.incarnation ?? 0;
    if (message.type === 'req') {
      const key = `${from}#${fromIncarnation}`;
      const ids = this.requestIds.get(key) ?? new Set<number>();
      ids.add(message.id);
      this.requestIds.set(key, ids);
    }
    const target = this.endpoints.get(to);
    if (!target?.up) {
      this.stats.dropped++;
      const sender = this.endpoints.get(from);
      if (sender && this.canReach(to, from))
        this.tellLost(from, sender.incarnation, to, 'connection refused');
      return;
    }
    if (!this.canReach(from, to)) {
      this.stats.blocked++;
      return;
    }
    const f = this.faults;
    if (this.rng.chance(f.dropRate)) {
      this.stats.dropped++;
      return;
    }
    // Encoded now: the sender may reuse what it sent, and the receiver must get its own copy.
    const bytes = encodeMessage(message);
    const copies = this.rng.chance(f.duplicateRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    const incarnation = target.incarnation;
    for (let i = 0; i < copies; i++) {
      let latency = this.rng.range(f.minLatencyMs, f.maxLatencyMs);
      if (this.rng.chance(f.spikeRate)) latency *= this.rng.range(2, 10);
      this.time.schedule(latency, () => this.deliver(from, fromIncarnation, to, incarnation, bytes));
    }
  }

  /**
   * Tells `peer` (if still the same process) a latency from now that messages to `lost` are lost,
   * unless `lost` has started again by then. No random draw, so a seed's fault schedule is the
   * same with and without these notices.
   */
  private tellLost(peer: HostId, incarnation: number, lost: HostId, reason: string): void {
    this.time.schedule(this.faults.minLatencyMs, () => {
      const endpoint = this.endpoints.get(peer);
      if (!endpoint?.up || endpoint.incarnation !== incarnation || this.endpoints.get(lost)?.up) return;
      this.handOver(peer, () => {
        if (endpoint.up) for (const handler of endpoint.lost) handler(lost, reason);
      });
    });
  }

  private checkAnswer(from: HostId, to: HostId, incarnation: number, id: number): void {
    const asker = this.askedBy.get(`${from}<${to}#${id}`);
    if (asker === undefined || asker === incarnation) return;
    if (this.requestIds.get(`${to}#${incarnation}`)?.has(id))
      this.anomalies.push(
        `${from} answered request ${id} of ${to}'s process ${asker} to its process ${incarnation}, which has a request ${id} of its own`,
      );
  }

  private deliver(
    from: HostId,
    fromIncarnation: number,
    to: HostId,
    incarnation: number,
    bytes: Uint8Array,
  ): void {
    const target = this.endpoints.get(to);
    // A partition raised while the message was on its way cuts it too.
    if (!target?.up || target.incarnation !== incarnation || !this.canReach(from, to)) {
      this.stats.dropped++;
      return;
    }
    this.handOver(to, () => {
      // A process that died while paused never reads what waited for it.
      if (!target.up) return;
      const message = parseMessage(decodeFrame(bytes)[0]) as PeerMessage;
      this.stats.delivered++;
      this.inspect?.(from, to, message);
      if (message.type === 'req') this.askedBy.set(`${to}<${from}#${message.id}`, fromIncarnation);
      else if (message.type === 'res') this.checkAnswer(from, to, incarnation, message.id);
      target.handler?.(from, message);
    });
  }
}
