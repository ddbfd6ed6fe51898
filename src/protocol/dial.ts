import { WebSocket } from 'ws';
import { checkWelcome, helloFor, type DialIdentity } from './auth.js';
import { decodeFrame, encodeFrame } from './codec.js';
import { asRingkvError, RingkvError } from './errors.js';
import type { ChallengeMessage, HelloMessage, WelcomeMessage } from './messages.js';
import { closeReason, frameBytes } from './socket.js';
import type { WireMessage } from './validate.js';
import { parseMessageSoon } from './validate-soon.js';

export interface DialOptions {
  timeoutMs: number;
  maxPayloadBytes: number;
  /** The host id the caller expects at that address; another one there is refused. */
  expectHostId?: string;
  /** Abandons the dial (a client closing while a handshake hangs), closing its socket. */
  signal?: AbortSignal | undefined;
}

/**
 * RFC 6455 has a client mask its frames with a random key so that a browser's script cannot put
 * bytes of its choosing on the wire, where a caching proxy might read them as HTTP. No browser
 * script speaks ringkv's protocol, and the random key costs a copy and an xor of every frame
 * here and another xor at the node. A zero key keeps the frame format and makes ws skip both.
 */
function unmasked(mask: Buffer): void {
  mask.fill(0);
}

export interface Handshake {
  ws: WebSocket;
  challenge: ChallengeMessage;
  welcome: WelcomeMessage;
  /** Values that arrived in the welcome's frame after it. */
  rest: unknown[];
}

/**
 * Dials a node and runs the dialing side of the handshake, for a peer (the node's transport) or a
 * client (the client's connection) alike. `adopt` runs synchronously when the welcome is read,
 * before ws can emit another message, and gets every value that came after the welcome, so the
 * caller's listeners see every frame.
 */
export function dial<T>(
  address: string,
  me: DialIdentity,
  options: DialOptions,
  adopt: (handshake: Handshake) => T,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(address, {
        perMessageDeflate: false,
        maxPayload: options.maxPayloadBytes,
        handshakeTimeout: options.timeoutMs,
        generateMask: unmasked,
      });
    } catch (e) {
      reject(new RingkvError('NO_HOST_AVAILABLE', `cannot reach ${address}: ${asRingkvError(e).message}`));
      return;
    }
    let challenge: ChallengeMessage | undefined;
    let hello: HelloMessage | undefined;
    let settled = false;
    const finish = (error: RingkvError | undefined, value?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      ws.off('error', onError);
      if (error === undefined) {
        resolve(value as T);
        return;
      }
      // Keep a listener: ws may still report errors while the socket winds down.
      ws.on('error', () => {});
      if (ws.readyState === ws.OPEN) ws.close(1000, closeReason(`${error.code}: ${error.message}`));
      else ws.terminate();
      reject(error);
    };
    const timer = setTimeout(() => {
      finish(
        new RingkvError(
          'NO_HOST_AVAILABLE',
          `cannot reach ${address}: no handshake within ${options.timeoutMs} ms`,
          { timeoutMs: options.timeoutMs },
        ),
      );
    }, options.timeoutMs);
    const onError = (e: Error): void => {
      finish(new RingkvError('NO_HOST_AVAILABLE', `cannot reach ${address}: ${e.message}`));
    };
    const onAbort = (): void => {
      finish(new RingkvError('NO_HOST_AVAILABLE', `cannot reach ${address}: the dial was abandoned`));
    };
    const onClose = (code: number, reason: Buffer): void => {
      const why = reason.length > 0 ? reason.toString() : `close code ${code}`;
      finish(
        new RingkvError('NO_HOST_AVAILABLE', `cannot reach ${address}: closed during the handshake (${why})`),
      );
    };
    /** Frames that came while a message waited for the schemas to load (validate-soon.ts). */
    let backlog: Array<[unknown, boolean]> | undefined;
    const onMessage = (data: unknown, isBinary: boolean): void => {
      if (settled) return;
      if (backlog !== undefined) {
        backlog.push([data, isBinary]);
        return;
      }
      try {
        const [first, ...rest] = decodeFrame(frameBytes(data, isBinary));
        const parsed = parseMessageSoon(first);
        if (!(parsed instanceof Promise)) {
          step(parsed, rest);
          return;
        }
        const waiting: Array<[unknown, boolean]> = [];
        backlog = waiting;
        parsed
          .then((message) => {
            if (settled) return;
            backlog = undefined;
            // Once welcomed, what came meanwhile is the caller's; before, it is the handshake's.
            if (message.type === 'welcome') {
              for (const [d, b] of waiting) rest.push(...decodeFrame(frameBytes(d, b)));
              step(message, rest);
            } else {
              step(message, rest);
              for (const [d, b] of waiting) onMessage(d, b);
            }
          })
          .catch((e: unknown) => finish(asRingkvError(e)));
      } catch (e) {
        finish(asRingkvError(e));
      }
    };
    const step = (message: WireMessage, rest: unknown[]): void => {
      try {
        if (message.type === 'error') throw RingkvError.fromWire(message.error);
        if (challenge === undefined) {
          if (message.type !== 'challenge') {
            throw new RingkvError(
              'PROTOCOL_ERROR',
              `${address} opened with ${message.type}, not a challenge`,
            );
          }
          challenge = message;
          if (options.expectHostId !== undefined && challenge.hostId !== options.expectHostId) {
            throw new RingkvError(
              'REFUSED',
              `${address} is host ${challenge.hostId}, not the expected ${options.expectHostId}`,
            );
          }
          hello = helloFor(challenge, me);
          ws.send(encodeFrame([hello]), { binary: true });
          return;
        }
        if (message.type !== 'welcome' || hello === undefined) {
          throw new RingkvError('PROTOCOL_ERROR', `${address} answered the hello with ${message.type}`);
        }
        checkWelcome(message, hello, challenge, me.secret);
        const handshake: Handshake = { ws, challenge, welcome: message, rest };
        finish(undefined, adopt(handshake));
      } catch (e) {
        finish(asRingkvError(e));
      }
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', onError);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
