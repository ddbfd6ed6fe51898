import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { CONSISTENCY_LEVELS } from './consistency.js';
import { KEYSPACE_NAME_PATTERN, MAX_KEYSPACE_NAME_LENGTH, MAX_REPLICATION_FACTOR } from './limits.js';

/** Building blocks shared by every message schema. Tokens travel as decimal strings (int64). */
// Typed as plain Uint8Array (any backing buffer): msgpackr hands out Buffers that view a frame.
export const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected bytes' });
export const hostId = z.string().min(1).max(64);
export const tokenString = z.string().regex(/^-?\d{1,20}$/);
export const micros = z.number().int().nonnegative();
export const keyspaceName = z
  .string()
  .min(1)
  .max(MAX_KEYSPACE_NAME_LENGTH)
  .regex(KEYSPACE_NAME_PATTERN, 'keyspace names are letters, digits and _ and start with a letter');
export const consistency = z.enum(CONSISTENCY_LEVELS);

export const cell = z.object({
  value: bytes.nullable(),
  timestamp: micros,
  expiresAt: micros.optional(),
});

export const replication = z.discriminatedUnion('strategy', [
  z.object({ strategy: z.literal('simple'), rf: z.number().int().min(1).max(MAX_REPLICATION_FACTOR) }),
  z.object({
    strategy: z.literal('network'),
    dcs: z.record(z.string().min(1).max(64), z.number().int().min(0).max(MAX_REPLICATION_FACTOR)),
  }),
]);

export const wireError = z.object({ code: z.enum(ERROR_CODES), message: z.string() }).catchall(z.unknown());

export const traceEvent = z.object({ at: z.number(), node: z.string(), event: z.string() });

/** A token range (start, end]: start exclusive, end inclusive, wrapping when start >= end. */
export const tokenRange = z.object({ start: tokenString, end: tokenString });
