import type { z } from 'zod';
import { RingkvError } from './errors.js';
import { fastMessage, fastRequestBody, fastResult } from './fast-validate.js';
import {
  challengeMessage,
  errorMessage,
  eventMessage,
  helloMessage,
  requestMessage,
  responseMessage,
  welcomeMessage,
  type ChallengeMessage,
  type ErrorMessage,
  type EventMessage,
  type HelloMessage,
  type RequestMessage,
  type ResponseMessage,
  type WelcomeMessage,
} from './messages.js';
import { isOpName, OPS, type OpName, type OpRequest, type OpResult } from './ops/index.js';

/**
 * Validation happens once, at the socket: everything past these functions is typed data.
 * Error strings are built only on failure. The data path's shapes first try the hand-written
 * validators of fast-validate.ts, which only ever accept; anything they are unsure of is zod's.
 */

/** A validated message. Narrower than `Message`: a `res` carries either a result or an error. */
export type WireMessage =
  | ChallengeMessage
  | HelloMessage
  | WelcomeMessage
  | RequestMessage
  | ResponseMessage
  | EventMessage
  | ErrorMessage;

const byType: Record<WireMessage['type'], z.ZodType> = {
  challenge: challengeMessage,
  hello: helloMessage,
  welcome: welcomeMessage,
  req: requestMessage,
  res: responseMessage,
  event: eventMessage,
  error: errorMessage,
};

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

export function parseMessage(raw: unknown): WireMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new RingkvError('PROTOCOL_ERROR', 'a message must be a map with a type');
  }
  const type: unknown = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(byType, type)) {
    const shown = typeof type === 'string' ? `"${clip(type)}"` : typeof type;
    throw new RingkvError('PROTOCOL_ERROR', `unknown message type ${shown}`);
  }
  const fast = fastMessage(raw);
  if (fast !== undefined) return fast;
  const parsed = byType[type as WireMessage['type']].safeParse(raw);
  if (!parsed.success)
    throw new RingkvError('PROTOCOL_ERROR', `invalid ${type} message: ${firstIssue(parsed.error)}`);
  return parsed.data as WireMessage;
}

/** The body of a request, checked against its operation's schema. */
export function parseRequestBody<K extends OpName>(op: K, body: unknown): OpRequest<K>;
export function parseRequestBody(op: string, body: unknown): OpRequest<OpName>;
export function parseRequestBody(op: string, body: unknown): unknown {
  if (!isOpName(op)) throw new RingkvError('INVALID_REQUEST', `unknown operation ${clip(op)}`);
  const fast = fastRequestBody(op, body);
  if (fast !== undefined) return fast;
  const parsed = (OPS[op].request as z.ZodType).safeParse(body);
  if (!parsed.success)
    throw new RingkvError('INVALID_REQUEST', `invalid ${op} request: ${firstIssue(parsed.error)}`);
  return parsed.data;
}

/** A request whose op is known and whose body matches it; `op` narrows `body`. */
export type ValidRequest = { [K in OpName]: { id: number; op: K; body: OpRequest<K> } }[OpName];

export function parseRequest(req: RequestMessage): ValidRequest {
  return { id: req.id, op: req.op, body: parseRequestBody(req.op, req.body) } as ValidRequest;
}

/** A node's answer, checked before the client believes it. A bad one is the node's protocol error. */
export function parseResult<K extends OpName>(op: K, result: unknown): OpResult<K> {
  const fast = fastResult(op, result);
  if (fast !== undefined) return fast as OpResult<K>;
  const parsed = (OPS[op].result as z.ZodType).safeParse(result);
  if (!parsed.success)
    throw new RingkvError('PROTOCOL_ERROR', `invalid ${op} result: ${firstIssue(parsed.error)}`);
  return parsed.data as OpResult<K>;
}
