import { z } from 'zod';
import { bytes, hostId, wireError } from './schema.js';

/**
 * Frames are WebSocket binary frames; each holds one or more msgpack values (several messages to
 * one peer in one event-loop turn are coalesced into one frame). Every value is one of these.
 *
 * Handshake: on connect the server sends `challenge`; the first frame of the dialing side must be
 * `hello`, with an HMAC-SHA256 of the challenge under the cluster secret when there is one, and a
 * nonce of its own; the server answers `welcome` with its HMAC of that nonce (mutual proof), or an
 * `error` and closes.
 */
export const challengeMessage = z.object({
  type: z.literal('challenge'),
  version: z.number().int(),
  cluster: z.string(),
  hostId,
  nonce: bytes,
});

export const helloMessage = z.object({
  type: z.literal('hello'),
  version: z.number().int(),
  role: z.enum(['client', 'peer']),
  cluster: z.string(),
  /** The dialing node's host id and address (role peer). */
  hostId: hostId.optional(),
  address: z.string().optional(),
  nonce: bytes,
  mac: bytes.optional(),
});

export const welcomeMessage = z.object({
  type: z.literal('welcome'),
  hostId,
  mac: bytes.optional(),
  /**
   * The largest value the node takes, so that a client refuses a larger one itself rather than
   * send a frame the node closes the connection on (absent from nodes before it was added).
   */
  maxValueBytes: z.number().int().positive().optional(),
});

export const requestMessage = z.object({
  type: z.literal('req'),
  id: z.number().int().nonnegative(),
  op: z.string(),
  body: z.unknown(),
});

export const responseMessage = z.union([
  z.object({
    type: z.literal('res'),
    id: z.number().int().nonnegative(),
    ok: z.literal(true),
    result: z.unknown(),
  }),
  z.object({
    type: z.literal('res'),
    id: z.number().int().nonnegative(),
    ok: z.literal(false),
    error: wireError,
  }),
]);

/** A message the node pushes without a request: topology changes, repair progress. */
export const eventMessage = z.object({
  type: z.literal('event'),
  event: z.string(),
  body: z.unknown(),
});

/** A connection-level error (handshake refused, malformed frame) sent just before closing. */
export const errorMessage = z.object({ type: z.literal('error'), error: wireError });

export const message = z.discriminatedUnion('type', [
  challengeMessage,
  helloMessage,
  welcomeMessage,
  requestMessage,
  z.object({
    type: z.literal('res'),
    id: z.number().int().nonnegative(),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: wireError.optional(),
  }),
  eventMessage,
  errorMessage,
]);

export type ChallengeMessage = z.infer<typeof challengeMessage>;
export type HelloMessage = z.infer<typeof helloMessage>;
export type WelcomeMessage = z.infer<typeof welcomeMessage>;
export type RequestMessage = z.infer<typeof requestMessage>;
export type ResponseMessage = z.infer<typeof responseMessage>;
export type EventMessage = z.infer<typeof eventMessage>;
export type ErrorMessage = z.infer<typeof errorMessage>;
export type Message = z.infer<typeof message>;
