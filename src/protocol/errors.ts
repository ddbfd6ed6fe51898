/**
 * Expected failures are values with a stable code the user can act on; they cross the wire as
 * `{ code, message, ...details }` and are printed as one line `error CODE: message`.
 */
export const ERROR_CODES = [
  'UNAVAILABLE',
  'WRITE_TIMEOUT',
  'WRITE_FAILURE',
  'READ_TIMEOUT',
  'INVALID_REQUEST',
  'UNAUTHORIZED',
  'PROTOCOL_ERROR',
  'OVERLOADED',
  'NO_HOST_AVAILABLE',
  'NOT_FOUND',
  'REFUSED',
  'SERVER_ERROR',
  'USAGE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  [field: string]: unknown;
}

export interface WireError extends ErrorDetails {
  code: ErrorCode;
  message: string;
}

export class RingkvError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'RingkvError';
    this.code = code;
    this.details = details;
  }

  toWire(): WireError {
    return { ...this.details, code: this.code, message: this.message };
  }

  static fromWire(e: WireError): RingkvError {
    const { code, message, ...details } = e;
    return new RingkvError(code, message, details);
  }
}

/**
 * A request that got no answer within its time limit. It is OVERLOADED to whoever sent it; a
 * coordinator tells it apart from an error a replica answered with (a timeout, not a failure).
 */
export class NoAnswerError extends RingkvError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('OVERLOADED', message, details);
  }
}

/** The other side gave no answer: none in time, or it could not be reached at all. */
export function isNoAnswer(e: unknown): boolean {
  return e instanceof NoAnswerError || isUnreachable(e);
}

/** No answer can come: the connection was lost or could not be made (not a timeout). */
export function isUnreachable(e: unknown): e is RingkvError {
  return e instanceof RingkvError && e.code === 'NO_HOST_AVAILABLE';
}

/**
 * A stopping node's word that it has not begun a request (it refused it, or closed the connection
 * after answering all it had begun): the client may send it to another node, a write as well.
 */
export function nodeStopping(who: string, details: ErrorDetails = {}): RingkvError {
  return new RingkvError('REFUSED', `${who} is stopping: send to another node`, {
    ...details,
    stopping: true,
  });
}

export function isNodeStopping(e: RingkvError): boolean {
  return e.code === 'REFUSED' && e.details['stopping'] === true;
}

/** What replicas that answered a write with an error said, by host, for a WRITE_FAILURE message. */
export function failureList(failures: Record<string, unknown>): string {
  return Object.entries(failures)
    .map(([host, why]) => `${host} failed it: ${String(why)}`)
    .join('; ');
}

/**
 * Replicas whose connection was lost, by host, each with why: no answer can come from them, so a
 * coordinator stopped waiting before its timeout.
 */
function unreachableList(unreachable: Record<string, unknown>): string {
  const each = Object.entries(unreachable).map(([host, why]) => `${host} (${String(why)})`);
  return `no answer from ${each.join(', ')}`;
}

/** Why replicas gave no usable reply, for a message: lost connections first, then errors they answered. */
export function missingReplyReasons(
  unreachable: Record<string, unknown> | undefined,
  failures: Record<string, unknown> | undefined,
): string[] {
  return [
    ...(unreachable ? [unreachableList(unreachable)] : []),
    ...(failures ? [failureList(failures)] : []),
  ];
}

/** Why a request got no answer when that was not a timeout: the reason a transport gave, if any. */
export function lostConnectionReason(e: RingkvError): string {
  const reason = e.details['reason'];
  return typeof reason === 'string' ? reason : e.message;
}

/** A request names a keyspace the cluster does not have; every path that checks says the same. */
export function unknownKeyspace(keyspace: string): RingkvError {
  return new RingkvError(
    'INVALID_REQUEST',
    `keyspace "${keyspace}" does not exist: create it with "ringkv keyspace create ${keyspace}"`,
    { keyspace },
  );
}

export function isRingkvError(e: unknown): e is RingkvError {
  return e instanceof RingkvError;
}

/** Anything thrown, as an error value: an unexpected exception becomes SERVER_ERROR. */
export function asRingkvError(e: unknown): RingkvError {
  if (e instanceof RingkvError) return e;
  return new RingkvError('SERVER_ERROR', e instanceof Error ? e.message : String(e));
}

/** Exit codes of CLI.md: 1 the request failed, 2 usage, 3 no contact point reachable. */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'USAGE':
      return 2;
    case 'NO_HOST_AVAILABLE':
      return 3;
    default:
      return 1;
  }
}
