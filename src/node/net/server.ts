import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { challengeFor, checkHello, welcomeFor } from '../../protocol/auth.js';
import { decodeFrame, encodeFrame, FrameBatcher } from '../../protocol/codec.js';
import { RingkvError } from '../../protocol/errors.js';
import { DEFAULT_MAX_VALUE_BYTES, HANDSHAKE_TIMEOUT_MS, maxFrameBytesFor } from '../../protocol/limits.js';
import type { HelloMessage, RequestMessage } from '../../protocol/messages.js';
import { parseMessage, parseRequest, type ValidRequest } from '../../protocol/validate.js';
import { silentLogger, type HostId, type Logger } from '../world.js';
import { asRingkvError } from '../../protocol/errors.js';
import { closeWithError, frameBytes, SHUTTING_DOWN } from '../../protocol/socket.js';
import { DEFAULT_MAX_BUFFERED_BYTES, PeerLink } from './peer-link.js';

/** Requests one client may have in flight on one connection before it gets OVERLOADED. */
export const DEFAULT_MAX_IN_FLIGHT_PER_CLIENT = 4096;

export interface WsServerOptions {
  /** Which interface to bind: the daemon decides (loopback unless told otherwise). */
  host: string;
  /** 0 picks a free port; `address()` tells which. */
  port: number;
  clusterName: string;
  hostId: HostId;
  secret?: string | undefined;
  maxValueBytes?: number;
  handshakeTimeoutMs?: number;
  maxInFlightPerClient?: number;
  /** Bytes a slow reader may leave unsent before the node gives up on it. */
  maxBufferedBytes?: number;
  /** Coalesce replies of one event-loop turn into one frame (default true). */
  coalesce?: boolean;
  logger?: Logger;
}

type ResolvedOptions = Required<Omit<WsServerOptions, 'secret'>> & { secret: string | undefined };

export type ClientRequestHandler = (conn: ClientConnection, req: ValidRequest) => void | Promise<void>;
export type PeerHandler = (link: PeerLink, hello: HelloMessage) => void;

/**
 * The node's one WebSocket port. Every connection starts with the challenge/hello handshake;
 * clients then send requests to the node core, peers hand their link to the transport.
 * Whatever a connection sends, the worst outcome is that this connection closes.
 */
export class WsServer {
  readonly #wss: WebSocketServer;
  readonly #options: ResolvedOptions;
  readonly #sockets = new Set<WebSocket>();
  readonly #clients = new Set<ClientConnection>();
  #clientHandler: ClientRequestHandler | undefined;
  #peerHandler: PeerHandler | undefined;
  #nextConnectionId = 1;

  private constructor(wss: WebSocketServer, options: ResolvedOptions) {
    this.#wss = wss;
    this.#options = options;
    wss.on('connection', (ws, req) =>
      this.#accept(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`),
    );
    wss.on('error', (e) => options.logger.error('websocket server error', { error: e.message }));
  }

  static listen(options: WsServerOptions): Promise<WsServer> {
    const resolved: ResolvedOptions = {
      host: options.host,
      port: options.port,
      clusterName: options.clusterName,
      hostId: options.hostId,
      secret: options.secret,
      maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      maxInFlightPerClient: options.maxInFlightPerClient ?? DEFAULT_MAX_IN_FLIGHT_PER_CLIENT,
      maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
      coalesce: options.coalesce ?? true,
      logger: options.logger ?? silentLogger,
    };
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({
        host: resolved.host,
        port: resolved.port,
        perMessageDeflate: false,
        maxPayload: maxFrameBytesFor(resolved.maxValueBytes),
      });
      const failed = (e: Error): void => {
        reject(
          new RingkvError('REFUSED', `cannot listen on ${resolved.host}:${resolved.port}: ${e.message}`),
        );
      };
      wss.once('error', failed);
      wss.once('listening', () => {
        wss.off('error', failed);
        resolve(new WsServer(wss, resolved));
      });
    });
  }

  address(): { host: string; port: number } {
    const info = this.#wss.address() as AddressInfo;
    return { host: info.address, port: info.port };
  }

  /** ws://host:port of the bound socket (IPv6 hosts in brackets). */
  get url(): string {
    const { host, port } = this.address();
    return `ws://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  get hostId(): HostId {
    return this.#options.hostId;
  }

  get connectionCount(): number {
    return this.#sockets.size;
  }

  onClientRequest(handler: ClientRequestHandler): void {
    this.#clientHandler = handler;
  }

  /** The transport takes authenticated peer connections from here. */
  onPeer(handler: PeerHandler): void {
    this.#peerHandler = handler;
  }

  async close(): Promise<void> {
    // Replies already given still sit in a connection's batch until the end of the turn.
    for (const conn of this.#clients) conn.shutDown();
    for (const ws of this.#sockets) {
      if (ws.readyState === ws.OPEN) ws.close(SHUTTING_DOWN.code, SHUTTING_DOWN.reason);
      // Not a closing one: its last replies and its close frame are on their way.
      else if (ws.readyState !== ws.CLOSING) ws.terminate();
    }
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    // A socket that did not finish its close handshake is not worth waiting for.
    for (const ws of this.#sockets) ws.terminate();
    this.#sockets.clear();
  }

  #accept(ws: WebSocket, remote: string): void {
    const { logger } = this.#options;
    this.#sockets.add(ws);
    ws.on('close', () => this.#sockets.delete(ws));
    ws.on('error', (e: Error & { code?: string }) => {
      // ws closes the socket itself (1009 for an oversized frame); we only record why.
      if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        logger.warn('frame too large, connection closed', { remote });
      else logger.debug('connection error', { remote, error: e.message });
    });
    const challenge = challengeFor(this.#options.clusterName, this.#options.hostId);
    const refuse = (error: RingkvError): void => {
      clearTimeout(timer);
      ws.off('message', onHello);
      const fields = { remote, code: error.code, reason: error.message };
      if (error.code === 'UNAUTHORIZED') logger.warn('refused a connection', fields);
      else logger.info('refused a connection', fields);
      closeWithError(ws, error);
    };
    const timer = setTimeout(() => {
      refuse(new RingkvError('PROTOCOL_ERROR', `no hello within ${this.#options.handshakeTimeoutMs} ms`));
    }, this.#options.handshakeTimeoutMs);
    ws.on('close', () => clearTimeout(timer));

    const onHello = (data: unknown, isBinary: boolean): void => {
      let hello: HelloMessage;
      let rest: unknown[];
      try {
        const [first, ...others] = decodeFrame(frameBytes(data, isBinary));
        const parsed = parseMessage(first);
        if (parsed.type !== 'hello') {
          throw new RingkvError('PROTOCOL_ERROR', `the first message must be hello, got ${parsed.type}`);
        }
        checkHello(parsed, challenge, this.#options.secret);
        if (parsed.role === 'peer' && parsed.hostId === this.#options.hostId) {
          throw new RingkvError('PROTOCOL_ERROR', `the peer claims this node's host id ${parsed.hostId}`);
        }
        if (parsed.role === 'peer' && this.#peerHandler === undefined) {
          throw new RingkvError('REFUSED', 'this node does not take peer connections');
        }
        hello = parsed;
        rest = others;
      } catch (e) {
        refuse(asRingkvError(e));
        return;
      }
      clearTimeout(timer);
      ws.off('message', onHello);
      const welcome = welcomeFor(hello, challenge, this.#options.secret, this.#options.maxValueBytes);
      ws.send(encodeFrame([welcome]), { binary: true });
      this.#established(ws, hello, rest, remote);
    };
    ws.on('message', onHello);
    ws.send(encodeFrame([challenge]), { binary: true });
  }

  #established(ws: WebSocket, hello: HelloMessage, rest: unknown[], remote: string): void {
    const { logger } = this.#options;
    if (hello.role === 'peer' && hello.hostId !== undefined && this.#peerHandler !== undefined) {
      const link = new PeerLink(ws, hello.hostId, 'inbound', {
        coalesce: this.#options.coalesce,
        maxBufferedBytes: this.#options.maxBufferedBytes,
        logger,
      });
      logger.debug('peer connected', { peer: hello.hostId, remote, address: hello.address });
      this.#peerHandler(link, hello);
      if (rest.length > 0) link.receive(rest);
      return;
    }
    const conn = new ClientConnection(ws, this.#nextConnectionId++, remote, {
      maxInFlight: this.#options.maxInFlightPerClient,
      maxBufferedBytes: this.#options.maxBufferedBytes,
      coalesce: this.#options.coalesce,
      logger,
      handler: () => this.#clientHandler,
    });
    this.#clients.add(conn);
    ws.on('close', () => this.#clients.delete(conn));
    logger.debug('client connected', { remote, connection: conn.id });
    if (rest.length > 0) conn.receive(rest);
  }
}

interface ClientConnectionOptions {
  maxInFlight: number;
  maxBufferedBytes: number;
  coalesce: boolean;
  logger: Logger;
  handler: () => ClientRequestHandler | undefined;
}

/** A client's connection as the node sees it: requests in, replies and events out. */
export class ClientConnection {
  readonly id: number;
  /** host:port the client connected from, for logs. */
  readonly remote: string;
  readonly #ws: WebSocket;
  readonly #batcher: FrameBatcher;
  readonly #options: ClientConnectionOptions;
  readonly #inFlight = new Set<number>();
  #closed = false;

  constructor(ws: WebSocket, id: number, remote: string, options: ClientConnectionOptions) {
    this.#ws = ws;
    this.id = id;
    this.remote = remote;
    this.#options = options;
    this.#batcher = new FrameBatcher((frame) => this.#write(frame), { coalesce: options.coalesce });
    ws.on('message', (data, isBinary) => {
      try {
        this.receive(decodeFrame(frameBytes(data, isBinary)));
      } catch (e) {
        this.#fail(asRingkvError(e));
      }
    });
    ws.on('close', () => this.#markClosed());
  }

  get closed(): boolean {
    return this.#closed;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  reply(id: number, result: unknown): void {
    if (!this.#settle(id)) return;
    try {
      this.#batcher.push({ type: 'res', id, ok: true, result });
    } catch (e) {
      this.#options.logger.error('cannot encode a result', { connection: this.id, error: String(e) });
      this.#batcher.push({
        type: 'res',
        id,
        ok: false,
        error: { code: 'SERVER_ERROR', message: 'unencodable result' },
      });
    }
  }

  replyError(id: number, error: RingkvError): void {
    if (!this.#settle(id)) return;
    this.#batcher.push({ type: 'res', id, ok: false, error: error.toWire() });
  }

  /** An event the node pushes without a request (topology change, repair progress). */
  push(event: string, body: unknown): void {
    if (this.#closed) return;
    this.#batcher.push({ type: 'event', event, body });
  }

  /** Answers what it began, sends what is batched, then closes as a stopping node does. */
  shutDown(): void {
    if (this.#closed) return;
    // Still unanswered past the node's drain: say so, since a close would say it was never begun.
    for (const id of [...this.#inFlight]) {
      this.replyError(
        id,
        new RingkvError(
          'SERVER_ERROR',
          'the node stopped before it finished this request; a write may have been applied',
        ),
      );
    }
    this.#batcher.flush();
    this.#ws.close(SHUTTING_DOWN.code, SHUTTING_DOWN.reason);
    this.#markClosed();
  }

  close(error?: RingkvError): void {
    if (this.#closed) return;
    this.#batcher.flush();
    if (error === undefined) this.#ws.close(1000, 'closed by the node');
    else closeWithError(this.#ws, error);
    this.#markClosed();
  }

  /** Values of one frame, in order. A malformed one closes the connection; a bad body only fails its request. */
  receive(values: readonly unknown[]): void {
    for (const raw of values) {
      if (this.#closed) return;
      let request: RequestMessage;
      try {
        const message = parseMessage(raw);
        if (message.type !== 'req') {
          throw new RingkvError('PROTOCOL_ERROR', `a client may only send requests, got ${message.type}`);
        }
        request = message;
      } catch (e) {
        this.#fail(asRingkvError(e));
        return;
      }
      this.#dispatch(request);
    }
  }

  #dispatch(request: RequestMessage): void {
    const { id } = request;
    const answer = (error: RingkvError): void => {
      this.#batcher.push({ type: 'res', id, ok: false, error: error.toWire() });
    };
    if (this.#inFlight.has(id)) {
      answer(new RingkvError('INVALID_REQUEST', `request id ${id} is already in flight`));
      return;
    }
    let valid: ValidRequest;
    try {
      valid = parseRequest(request);
    } catch (e) {
      answer(asRingkvError(e));
      return;
    }
    if (this.#inFlight.size >= this.#options.maxInFlight) {
      answer(
        new RingkvError(
          'OVERLOADED',
          `more than ${this.#options.maxInFlight} requests in flight on one connection`,
        ),
      );
      return;
    }
    const handler = this.#options.handler();
    if (handler === undefined) {
      answer(new RingkvError('REFUSED', 'the node is starting and does not take requests yet'));
      return;
    }
    this.#inFlight.add(id);
    const failed = (e: unknown): void => {
      if (!(e instanceof RingkvError)) {
        this.#options.logger.error('request handler failed', { op: valid.op, error: String(e) });
      }
      this.replyError(id, e instanceof RingkvError ? e : new RingkvError('SERVER_ERROR', 'internal error'));
    };
    try {
      const pending = handler(this, valid);
      if (pending !== undefined) pending.catch(failed);
    } catch (e) {
      failed(e);
    }
  }

  /** True the first time a request is answered: a late or second answer is dropped. */
  #settle(id: number): boolean {
    if (this.#closed) return false;
    return this.#inFlight.delete(id);
  }

  #write(frame: Uint8Array): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    if (this.#ws.bufferedAmount > this.#options.maxBufferedBytes) {
      this.#fail(new RingkvError('OVERLOADED', 'the client does not read its replies'));
      return;
    }
    this.#ws.send(frame, { binary: true });
  }

  #fail(error: RingkvError): void {
    if (this.#closed) return;
    this.#options.logger.warn('closing client connection', {
      remote: this.remote,
      code: error.code,
      reason: error.message,
    });
    this.#batcher.discard();
    closeWithError(this.#ws, error);
    this.#markClosed();
  }

  #markClosed(): void {
    this.#closed = true;
    this.#batcher.discard();
    this.#inFlight.clear();
  }
}
