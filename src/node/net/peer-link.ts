import type { WebSocket } from 'ws';
import { decodeFrame, FrameBatcher } from '../../protocol/codec.js';
import { RingkvError } from '../../protocol/errors.js';
import { parseMessage } from '../../protocol/validate.js';
import type { HostId, Logger, PeerMessage } from '../world.js';
import { asRingkvError } from '../../protocol/errors.js';
import { closeWithError, frameBytes, SHUTTING_DOWN } from '../../protocol/socket.js';

/** A slow peer may hold this much unsent data before further messages to it are dropped. */
export const DEFAULT_MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

export interface PeerLinkOptions {
  coalesce: boolean;
  maxBufferedBytes: number;
  logger: Logger;
}

/**
 * One authenticated connection to a peer node, whichever side dialed. Messages out are coalesced
 * per event-loop turn; messages in are validated envelopes (the node core checks bodies).
 */
export class PeerLink {
  readonly hostId: HostId;
  readonly direction: 'inbound' | 'outbound';
  readonly #ws: WebSocket;
  readonly #batcher: FrameBatcher;
  readonly #options: PeerLinkOptions;
  #onMessage: (message: PeerMessage) => void = () => {};
  readonly #onClose: ((reason: string) => void)[] = [];
  #closed = false;
  #dropped = 0;

  constructor(ws: WebSocket, hostId: HostId, direction: 'inbound' | 'outbound', options: PeerLinkOptions) {
    this.#ws = ws;
    this.hostId = hostId;
    this.direction = direction;
    this.#options = options;
    this.#batcher = new FrameBatcher((frame) => this.#write(frame), { coalesce: options.coalesce });
    ws.on('message', (data, isBinary) => {
      try {
        this.receive(decodeFrame(frameBytes(data, isBinary)));
      } catch (e) {
        this.#fail(asRingkvError(e));
      }
    });
    ws.on('close', (code, reason) =>
      this.#closedBy(`${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`),
    );
    ws.on('error', (e) => options.logger.debug('peer connection error', { peer: hostId, error: e.message }));
  }

  get open(): boolean {
    return !this.#closed && this.#ws.readyState === this.#ws.OPEN;
  }

  /** Messages dropped because the peer did not read fast enough. */
  get dropped(): number {
    return this.#dropped;
  }

  onMessage(handler: (message: PeerMessage) => void): void {
    this.#onMessage = handler;
  }

  onClose(handler: (reason: string) => void): void {
    this.#onClose.push(handler);
  }

  /** Fire and forget; false when the message was dropped (link closed or peer too slow). */
  send(message: PeerMessage): boolean {
    if (!this.open) return false;
    if (this.#ws.bufferedAmount > this.#options.maxBufferedBytes) {
      this.#dropped++;
      return false;
    }
    this.#batcher.push(message);
    return true;
  }

  /** Values of a frame; also the rest of the frame that carried the handshake. */
  receive(values: readonly unknown[]): void {
    try {
      this.#receive(values);
    } catch (e) {
      this.#fail(asRingkvError(e));
    }
  }

  #receive(values: readonly unknown[]): void {
    for (const raw of values) {
      if (this.#closed) return;
      const message = parseMessage(raw);
      if (message.type === 'error') {
        this.#options.logger.warn('peer reported an error and closes', {
          peer: this.hostId,
          ...message.error,
        });
        continue;
      }
      if (message.type !== 'req' && message.type !== 'res' && message.type !== 'event') {
        throw new RingkvError('PROTOCOL_ERROR', `unexpected ${message.type} message after the handshake`);
      }
      try {
        this.#onMessage(message);
      } catch (e) {
        // A bug in a handler must not take the connection, let alone the node, down with it.
        this.#options.logger.error('peer message handler failed', { peer: this.hostId, error: String(e) });
      }
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#batcher.flush();
    this.#ws.close(SHUTTING_DOWN.code, SHUTTING_DOWN.reason);
    this.#closedBy('closed by this node');
  }

  #write(frame: Uint8Array): void {
    if (!this.open) return;
    this.#ws.send(frame, { binary: true });
  }

  #fail(error: RingkvError): void {
    this.#options.logger.warn('closing peer connection', {
      peer: this.hostId,
      code: error.code,
      reason: error.message,
    });
    this.#batcher.discard();
    closeWithError(this.#ws, error);
    this.#closedBy(`${error.code}: ${error.message}`);
  }

  #closedBy(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#batcher.discard();
    for (const handler of this.#onClose) handler(reason);
  }
}
