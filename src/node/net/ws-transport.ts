import { performance } from 'node:perf_hooks';
import type { DialIdentity } from '../../protocol/auth.js';
import { DEFAULT_MAX_VALUE_BYTES, HANDSHAKE_TIMEOUT_MS, maxFrameBytesFor } from '../../protocol/limits.js';
import { silentLogger, type HostId, type Logger, type PeerMessage, type Transport } from '../world.js';
import { dial } from '../../protocol/dial.js';
import { DEFAULT_MAX_BUFFERED_BYTES, PeerLink } from './peer-link.js';
import type { WsServer } from './server.js';

export type ConnectionState = 'connected' | 'connecting' | 'down';

export interface WsTransportOptions {
  hostId: HostId;
  clusterName: string;
  secret?: string | undefined;
  /** ws://host:port peers reach this node at; sent in the hello so they can log it. */
  address?: string;
  /** Where a peer listens, as gossip knows it; undefined: not known (yet), the message is dropped. */
  resolveAddress: (hostId: HostId) => string | undefined;
  /** Inbound peer connections arrive through this node's server. */
  server?: WsServer;
  maxValueBytes?: number;
  /** Coalesce the messages of one event-loop turn to one peer into one frame (default true). */
  coalesce?: boolean;
  dialTimeoutMs?: number;
  /** Failed dials back off from min to max, doubling; the next send after the wait dials again. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Messages held for a peer while its connection is being set up; beyond that they are dropped. */
  maxQueuedMessages?: number;
  maxBufferedBytes?: number;
  logger?: Logger;
}

interface PendingDial {
  queue: PeerMessage[];
}

interface Backoff {
  delayMs: number;
  retryAtMs: number;
  reason: string;
}

/**
 * The production Transport: peer messages over ws, fire and forget. It knows nothing of request
 * ids or timeouts; the node core's RPC layer does. A message to a peer without a connection dials
 * it lazily; a failed dial drops what was queued and backs off, and callers time out.
 */
export class WsTransport implements Transport {
  readonly #options: WsTransportOptions;
  readonly #identity: DialIdentity;
  readonly #logger: Logger;
  readonly #links = new Map<HostId, PeerLink[]>();
  readonly #dials = new Map<HostId, PendingDial>();
  readonly #backoff = new Map<HostId, Backoff>();
  #handler: (from: HostId, message: PeerMessage) => void = () => {};
  readonly #disconnected: ((hostId: HostId, reason: string) => void)[] = [];
  #closed = false;

  constructor(options: WsTransportOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#identity = {
      role: 'peer',
      clusterName: options.clusterName,
      secret: options.secret,
      hostId: options.hostId,
      address: options.address,
    };
    options.server?.onPeer((link) => this.adopt(link));
  }

  get hostId(): HostId {
    return this.#options.hostId;
  }

  send(to: HostId, message: PeerMessage): void {
    if (this.#closed) return;
    if (to === this.#options.hostId) {
      // A coordinator that is its own replica takes the same path as for any other replica.
      setImmediate(() => this.#deliver(to, message));
      return;
    }
    const link = this.#openLink(to);
    if (link !== undefined) {
      link.send(message);
      return;
    }
    const pending = this.#dials.get(to);
    if (pending !== undefined) {
      if (pending.queue.length < (this.#options.maxQueuedMessages ?? 10_000)) pending.queue.push(message);
      return;
    }
    const backoff = this.#backoff.get(to);
    if (backoff !== undefined && performance.now() < backoff.retryAtMs) {
      this.#notifyDisconnected(to, backoff.reason);
      return;
    }
    const address = this.#options.resolveAddress(to);
    if (address === undefined) {
      this.#logger.debug('no address for peer, message dropped', { peer: to });
      this.#notifyDisconnected(to, 'its address is not known yet');
      return;
    }
    this.#dial(to, address, [message]);
  }

  onMessage(handler: (from: HostId, message: PeerMessage) => void): void {
    this.#handler = handler;
  }

  /**
   * Messages to this peer are lost: the last connection to it closed, dialing it failed, or a
   * message was dropped while dialing it backs off.
   */
  onPeerDisconnected(handler: (hostId: HostId, reason: string) => void): void {
    this.#disconnected.push(handler);
  }

  connectionState(hostId: HostId): ConnectionState {
    if (this.#openLink(hostId) !== undefined) return 'connected';
    if (this.#dials.has(hostId)) return 'connecting';
    return 'down';
  }

  /** Peers with an open connection right now. */
  connectedPeers(): HostId[] {
    return [...this.#links.keys()].filter((id) => this.#openLink(id) !== undefined);
  }

  /** An authenticated connection a peer dialed to us. */
  adopt(link: PeerLink): void {
    if (this.#closed) {
      link.close();
      return;
    }
    this.#register(link);
  }

  close(): void {
    this.#closed = true;
    for (const pending of this.#dials.values()) pending.queue.length = 0;
    for (const links of this.#links.values()) for (const link of links) link.close();
    this.#links.clear();
  }

  #openLink(hostId: HostId): PeerLink | undefined {
    const links = this.#links.get(hostId);
    if (links === undefined) return undefined;
    for (const link of links) if (link.open) return link;
    return undefined;
  }

  #register(link: PeerLink): void {
    const links = this.#links.get(link.hostId) ?? [];
    links.push(link);
    this.#links.set(link.hostId, links);
    this.#backoff.delete(link.hostId);
    link.onMessage((message) => this.#deliver(link.hostId, message));
    link.onClose((reason) => {
      const remaining = (this.#links.get(link.hostId) ?? []).filter((l) => l !== link);
      if (remaining.length > 0) this.#links.set(link.hostId, remaining);
      else this.#links.delete(link.hostId);
      if (this.#closed || this.#openLink(link.hostId) !== undefined) return;
      this.#logger.debug('peer connection closed', { peer: link.hostId, direction: link.direction, reason });
      this.#notifyDisconnected(link.hostId, `the connection closed (${reason})`);
    });
  }

  #dial(to: HostId, address: string, queue: PeerMessage[]): void {
    const pending: PendingDial = { queue };
    this.#dials.set(to, pending);
    const options = {
      timeoutMs: this.#options.dialTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      maxPayloadBytes: maxFrameBytesFor(this.#options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES),
      expectHostId: to,
    };
    dial(address, this.#identity, options, ({ ws, rest }) => {
      const link = new PeerLink(ws, to, 'outbound', {
        coalesce: this.#options.coalesce ?? true,
        maxBufferedBytes: this.#options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
        logger: this.#logger,
      });
      this.#dials.delete(to);
      if (this.#closed) {
        link.close();
        return;
      }
      this.#register(link);
      if (rest.length > 0) link.receive(rest);
      for (const message of pending.queue) link.send(message);
      pending.queue = [];
    }).catch((e: unknown) => {
      this.#dials.delete(to);
      if (this.#closed) return;
      const reason = e instanceof Error ? e.message : String(e);
      const previous = this.#backoff.get(to);
      const minMs = this.#options.minBackoffMs ?? 200;
      const delayMs =
        previous === undefined ? minMs : Math.min(previous.delayMs * 2, this.#options.maxBackoffMs ?? 5000);
      this.#backoff.set(to, { delayMs, retryAtMs: performance.now() + delayMs, reason });
      this.#logger.debug('cannot connect to peer', {
        peer: to,
        address,
        reason,
        droppedMessages: pending.queue.length,
      });
      pending.queue = [];
      this.#notifyDisconnected(to, reason);
    });
  }

  #deliver(from: HostId, message: PeerMessage): void {
    if (this.#closed) return;
    try {
      this.#handler(from, message);
    } catch (e) {
      this.#logger.error('peer message handler failed', { peer: from, error: String(e) });
    }
  }

  #notifyDisconnected(hostId: HostId, reason: string): void {
    for (const handler of this.#disconnected) {
      try {
        handler(hostId, reason);
      } catch (e) {
        this.#logger.error('disconnect handler failed', { peer: hostId, error: String(e) });
      }
    }
  }
}
