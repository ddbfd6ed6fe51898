import { Packr } from 'msgpackr';
import { RingkvError } from './errors.js';
import type { Message } from './messages.js';
import { atEndOfTurn } from './turn.js';

/**
 * Frames are WebSocket binary frames holding one or more msgpack values back to back.
 *
 * One Packr for the whole process: it reuses its output buffer between calls, which is most of
 * msgpackr's speed. `useRecords: false` because record structures are negotiated state that two
 * independent processes do not share. Integers beyond 2^53 decode as bigint, which every schema
 * rejects: tokens travel as decimal strings, so bigint never belongs on the wire.
 */
const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  // Keep Maps, Sets and class instances out of frames: they have no meaning in the protocol.
  structuredClone: false,
  moreTypes: false,
});

/** One message as msgpack bytes. The result stays valid: msgpackr never writes over a returned slice. */
export function encodeMessage(message: Message): Uint8Array {
  return packr.pack(message);
}

export function encodeFrame(messages: readonly Message[]): Uint8Array {
  if (messages.length === 1) return encodeMessage(messages[0] as Message);
  return Buffer.concat(messages.map((m) => encodeMessage(m)));
}

/**
 * The values in a frame, not yet validated. Byte strings come back as Buffers that are views of
 * the frame (no copy). Anything that is not well-formed msgpack throws PROTOCOL_ERROR.
 */
export function decodeFrame(bytes: Uint8Array): unknown[] {
  if (bytes.length === 0) throw new RingkvError('PROTOCOL_ERROR', 'empty frame');
  try {
    const values = packr.unpackMultiple(bytes) as unknown[] | undefined;
    if (values === undefined || values.length === 0) throw new Error('no values');
    return values;
  } catch (e) {
    throw new RingkvError('PROTOCOL_ERROR', `undecodable frame: ${describe(e)}`);
  }
}

function describe(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Coalesced frames stay below this unless one message alone is larger; far below any maxFrameBytes. */
export const DEFAULT_MAX_BATCH_BYTES = 64 * 1024;

export interface FrameBatcherOptions {
  /** false: every message is its own frame, sent at once (for comparison and latency tests). */
  coalesce?: boolean;
  maxBatchBytes?: number;
}

/**
 * Collects the messages one event-loop turn produces for one connection and sends them as one
 * frame. The flush runs at the end of the turn (atEndOfTurn), after the I/O callbacks of the
 * current turn, so a burst of replies to a burst of requests leaves in a single WebSocket frame.
 * Messages are encoded at push time so that an unencodable message fails its caller, not the flush.
 */
export class FrameBatcher {
  readonly #sendFrame: (frame: Uint8Array) => void;
  readonly #coalesce: boolean;
  readonly #maxBatchBytes: number;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #scheduled = false;

  constructor(sendFrame: (frame: Uint8Array) => void, options: FrameBatcherOptions = {}) {
    this.#sendFrame = sendFrame;
    this.#coalesce = options.coalesce ?? true;
    this.#maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  }

  push(message: Message): void {
    const bytes = encodeMessage(message);
    if (!this.#coalesce) {
      this.#sendFrame(bytes);
      return;
    }
    // A frame must fit the receiver's maxPayload: never grow a batch past maxBatchBytes.
    if (this.#pendingBytes > 0 && this.#pendingBytes + bytes.length > this.#maxBatchBytes) this.flush();
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      atEndOfTurn(() => {
        // Flushed early since (a full batch, a close) and nothing new: nothing to do.
        if (this.#scheduled) this.flush();
      });
    }
  }

  get pendingMessages(): number {
    return this.#pending.length;
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const frame =
      this.#pending.length === 1 ? (this.#pending[0] as Uint8Array) : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#sendFrame(frame);
  }

  /** Drops what is pending: the connection is gone. */
  discard(): void {
    this.#scheduled = false;
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}
