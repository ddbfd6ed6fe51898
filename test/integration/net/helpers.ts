import { WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../../../src/protocol/codec.js';
import type { Message } from '../../../src/protocol/messages.js';
import { WsServer, type WsServerOptions } from '../../../src/node/net/server.js';

/** Servers and sockets a test opened; `closeAll` in afterEach stops them even when the test failed. */
export class Resources {
  readonly #closers: (() => Promise<void> | void)[] = [];

  add(close: () => Promise<void> | void): void {
    this.#closers.push(close);
  }

  async closeAll(): Promise<void> {
    const closers = this.#closers.splice(0).reverse();
    for (const close of closers) await close();
  }

  async server(options: Partial<WsServerOptions> = {}): Promise<WsServer> {
    const server = await WsServer.listen({
      host: '127.0.0.1',
      port: 0,
      clusterName: 'test',
      hostId: 'n1',
      ...options,
    });
    this.add(() => server.close());
    return server;
  }

  /** A socket that speaks the protocol by hand, to send what a well-behaved client never would. */
  async raw(url: string): Promise<RawSocket> {
    const socket = await RawSocket.open(url);
    this.add(() => socket.ws.terminate());
    return socket;
  }
}

export class RawSocket {
  readonly ws: WebSocket;
  /** Each received frame, decoded. */
  readonly frames: unknown[][] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => {
      this.frames.push(decodeFrame(data));
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static open(url: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const socket = new RawSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  /** Waits until at least `count` frames have arrived; returns frame number `count - 1`. */
  async frame(count: number): Promise<unknown[]> {
    while (this.frames.length < count) await new Promise<void>((r) => this.#waiters.push(r));
    return this.frames[count - 1] as unknown[];
  }

  send(...messages: Message[]): void {
    this.ws.send(encodeFrame(messages));
  }

  sendBytes(bytes: Uint8Array): void {
    this.ws.send(bytes);
  }
}
