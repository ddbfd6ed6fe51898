import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RingkvError } from './errors.js';
import { PROTOCOL_VERSION } from './limits.js';
import type { ChallengeMessage, HelloMessage, WelcomeMessage } from './messages.js';

/**
 * Challenge-response with a shared cluster secret that never crosses the wire: each side proves it
 * knows the secret by an HMAC of the other side's fresh nonce. The context string names the
 * direction, so a proof one side produces can never be replayed as the other side's proof.
 */

export const NONCE_BYTES = 32;

/** Bytes as the message schemas type them (backed by a plain ArrayBuffer). */
type Bytes = HelloMessage['nonce'];

export function newNonce(): Bytes {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

export function macFor(secret: string, nonce: Uint8Array, context: string): Bytes {
  return new Uint8Array(createHmac('sha256', secret).update(nonce).update(context, 'utf8').digest());
}

/** Without a secret, only an absent MAC is right: a MAC means the other side expects a secret. */
export function verifyMac(
  secret: string | undefined,
  nonce: Uint8Array,
  context: string,
  mac: Uint8Array | undefined,
): boolean {
  if (secret === undefined) return mac === undefined;
  if (mac === undefined) return false;
  const expected = macFor(secret, nonce, context);
  return mac.length === expected.length && timingSafeEqual(mac, expected);
}

export type Role = HelloMessage['role'];

function helloContext(role: Role, cluster: string, hostId: string | undefined): string {
  return `ringkv hello ${role} ${cluster} ${hostId ?? ''}`;
}

function welcomeContext(cluster: string, hostId: string): string {
  return `ringkv welcome ${cluster} ${hostId}`;
}

// ---- the listening side

export function challengeFor(clusterName: string, hostId: string): ChallengeMessage {
  return { type: 'challenge', version: PROTOCOL_VERSION, cluster: clusterName, hostId, nonce: newNonce() };
}

/** Throws PROTOCOL_ERROR on a version mismatch, UNAUTHORIZED on a wrong cluster or proof. */
export function checkHello(
  hello: HelloMessage,
  challenge: ChallengeMessage,
  secret: string | undefined,
): void {
  const who = hello.role === 'peer' ? `peer ${hello.hostId ?? '(no host id)'}` : 'client';
  if (hello.version !== challenge.version) {
    throw new RingkvError(
      'PROTOCOL_ERROR',
      `protocol version mismatch: this node speaks version ${challenge.version}, the ${who} speaks version ${hello.version}`,
    );
  }
  if (hello.cluster !== challenge.cluster) {
    throw new RingkvError(
      'UNAUTHORIZED',
      `cluster name mismatch: this node belongs to "${challenge.cluster}", the ${who} asked for "${hello.cluster}"`,
      { clusterName: challenge.cluster },
    );
  }
  if (hello.role === 'peer' && hello.hostId === undefined) {
    throw new RingkvError('PROTOCOL_ERROR', 'a peer hello must carry its host id');
  }
  if (verifyMac(secret, challenge.nonce, helloContext(hello.role, hello.cluster, hello.hostId), hello.mac))
    return;
  if (secret === undefined) {
    throw new RingkvError(
      'UNAUTHORIZED',
      `authentication failed: this node has no cluster secret but the ${who} sent a proof of one`,
    );
  }
  throw new RingkvError(
    'UNAUTHORIZED',
    hello.mac === undefined
      ? `authentication required: this cluster has a secret and the ${who} sent no proof`
      : `authentication failed: the ${who} does not know the cluster secret`,
  );
}

export function welcomeFor(
  hello: HelloMessage,
  challenge: ChallengeMessage,
  secret: string | undefined,
  maxValueBytes?: number,
): WelcomeMessage {
  const welcome: WelcomeMessage = { type: 'welcome', hostId: challenge.hostId };
  if (maxValueBytes !== undefined) welcome.maxValueBytes = maxValueBytes;
  if (secret !== undefined)
    welcome.mac = macFor(secret, hello.nonce, welcomeContext(challenge.cluster, challenge.hostId));
  return welcome;
}

// ---- the dialing side

export interface DialIdentity {
  role: Role;
  clusterName: string;
  secret?: string | undefined;
  /** role peer: this node's host id and the address peers dial it at. */
  hostId?: string | undefined;
  address?: string | undefined;
}

/** The answer to a node's challenge, or why this side will not talk to it. */
export function helloFor(challenge: ChallengeMessage, me: DialIdentity): HelloMessage {
  if (challenge.version !== PROTOCOL_VERSION) {
    throw new RingkvError(
      'PROTOCOL_ERROR',
      `protocol version mismatch: the node speaks version ${challenge.version}, this ${me.role} speaks version ${PROTOCOL_VERSION}`,
    );
  }
  if (challenge.cluster !== me.clusterName) {
    throw new RingkvError(
      'UNAUTHORIZED',
      `cluster name mismatch: the node belongs to "${challenge.cluster}", not "${me.clusterName}"`,
      { clusterName: challenge.cluster },
    );
  }
  const hello: HelloMessage = {
    type: 'hello',
    version: PROTOCOL_VERSION,
    role: me.role,
    cluster: me.clusterName,
    nonce: newNonce(),
  };
  if (me.hostId !== undefined) hello.hostId = me.hostId;
  if (me.address !== undefined) hello.address = me.address;
  if (me.secret !== undefined) {
    hello.mac = macFor(me.secret, challenge.nonce, helloContext(me.role, me.clusterName, me.hostId));
  }
  return hello;
}

/** The node must prove the secret too, or the dialer could be talking to an impostor. */
export function checkWelcome(
  welcome: WelcomeMessage,
  hello: HelloMessage,
  challenge: ChallengeMessage,
  secret: string | undefined,
): void {
  if (welcome.hostId !== challenge.hostId) {
    throw new RingkvError(
      'PROTOCOL_ERROR',
      `the node changed its host id during the handshake (${challenge.hostId}, then ${welcome.hostId})`,
    );
  }
  if (verifyMac(secret, hello.nonce, welcomeContext(challenge.cluster, challenge.hostId), welcome.mac))
    return;
  throw new RingkvError(
    'UNAUTHORIZED',
    secret === undefined
      ? 'the node has a cluster secret and this side has none'
      : 'the node did not prove that it knows the cluster secret',
  );
}
