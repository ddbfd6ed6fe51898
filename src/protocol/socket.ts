import type { WebSocket } from 'ws';
import { encodeFrame } from './codec.js';
import { type ErrorCode, RingkvError } from './errors.js';

/** WebSocket close codes (RFC 6455 section 7.4) by error code, so a closed peer knows why. */
export function closeCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'PROTOCOL_ERROR':
    case 'INVALID_REQUEST':
      return 1002;
    case 'UNAUTHORIZED':
    case 'REFUSED':
      return 1008;
    case 'OVERLOADED':
      return 1013;
    default:
      return 1011;
  }
}

/** A close reason is at most 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let cut = Math.min(text.length, 120);
  while (Buffer.byteLength(text.slice(0, cut)) > 120) cut--;
  return `${text.slice(0, cut)}...`;
}

/** Tells the other side what went wrong in an `error` message, then closes with the same reason. */
export function closeWithError(ws: WebSocket, error: RingkvError): void {
  if (ws.readyState !== ws.OPEN) {
    ws.terminate();
    return;
  }
  try {
    ws.send(encodeFrame([{ type: 'error', error: error.toWire() }]));
  } catch {
    // The socket failed under us; closing below is all that is left to do.
  }
  ws.close(closeCodeFor(error.code), closeReason(`${error.code}: ${error.message}`));
}

/** ws hands frames as a Buffer for binaryType 'nodebuffer'; anything else was not a binary frame. */
export function frameBytes(data: unknown, isBinary: boolean): Uint8Array {
  if (!isBinary) throw new RingkvError('PROTOCOL_ERROR', 'text frames are not part of the protocol');
  if (data instanceof Uint8Array) return data;
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new RingkvError('PROTOCOL_ERROR', 'unreadable frame');
}

/**
 * The close a stopping node sends (code 1001, "going away"). It answers every request it began
 * before it sends this, so a request a client has no answer for when it arrives was never begun
 * and may go to another node, a write as well.
 */
export const SHUTTING_DOWN = { code: 1001, reason: 'node shutting down' } as const;
