import { describe, expect, it } from 'vitest';
import {
  challengeFor,
  checkHello,
  checkWelcome,
  helloFor,
  macFor,
  newNonce,
  verifyMac,
  welcomeFor,
} from '../../../src/protocol/auth.js';
import { PROTOCOL_VERSION } from '../../../src/protocol/limits.js';
import { errorOf } from '../../support/errors.js';

describe('MACs', () => {
  it('verifies with the same secret and context only', () => {
    const nonce = newNonce();
    expect(nonce).toHaveLength(32);
    const mac = macFor('s3cret', nonce, 'ctx');
    expect(verifyMac('s3cret', nonce, 'ctx', mac)).toBe(true);
    expect(verifyMac('other', nonce, 'ctx', mac)).toBe(false);
    expect(verifyMac('s3cret', nonce, 'ctx2', mac)).toBe(false);
    expect(verifyMac('s3cret', newNonce(), 'ctx', mac)).toBe(false);
    expect(verifyMac('s3cret', nonce, 'ctx', mac.subarray(0, 16))).toBe(false);
    expect(verifyMac('s3cret', nonce, 'ctx', undefined)).toBe(false);
  });

  it('without a secret accepts only an absent MAC', () => {
    const nonce = newNonce();
    expect(verifyMac(undefined, nonce, 'ctx', undefined)).toBe(true);
    expect(verifyMac(undefined, nonce, 'ctx', macFor('x', nonce, 'ctx'))).toBe(false);
  });
});

describe('handshake', () => {
  const client = { role: 'client' as const, clusterName: 'prod', secret: 'k' };

  it('completes when both sides share cluster and secret, and the secret is not sent', () => {
    const challenge = challengeFor('prod', 'node-1');
    const hello = helloFor(challenge, client);
    expect(JSON.stringify(hello)).not.toContain('"k"');
    checkHello(hello, challenge, 'k');
    const welcome = welcomeFor(hello, challenge, 'k');
    expect(() => checkWelcome(welcome, hello, challenge, 'k')).not.toThrow();
  });

  it('refuses a wrong secret, a missing proof and a proof the node cannot check', () => {
    const challenge = challengeFor('prod', 'node-1');
    const wrong = errorOf(() =>
      checkHello(helloFor(challenge, { ...client, secret: 'bad' }), challenge, 'k'),
    );
    expect(wrong.code).toBe('UNAUTHORIZED');
    const missing = errorOf(() =>
      checkHello(helloFor(challenge, { ...client, secret: undefined }), challenge, 'k'),
    );
    expect(missing.message).toMatch(/authentication required/);
    const unexpected = errorOf(() => checkHello(helloFor(challenge, client), challenge, undefined));
    expect(unexpected.code).toBe('UNAUTHORIZED');
  });

  it('does not accept a hello proof as the welcome proof', () => {
    const challenge = challengeFor('prod', 'node-1');
    const hello = helloFor(challenge, client);
    // An impostor echoing a proof computed for the other direction.
    const reflected = { type: 'welcome' as const, hostId: 'node-1', mac: macFor('wrong', hello.nonce, 'x') };
    expect(errorOf(() => checkWelcome(reflected, hello, challenge, 'k')).code).toBe('UNAUTHORIZED');
    expect(
      errorOf(() => checkWelcome({ type: 'welcome', hostId: 'node-1' }, hello, challenge, 'k')).code,
    ).toBe('UNAUTHORIZED');
  });

  it('names both versions on a version mismatch', () => {
    const challenge = challengeFor('prod', 'node-1');
    const hello = { ...helloFor(challenge, client), version: PROTOCOL_VERSION + 1 };
    const e = errorOf(() => checkHello(hello, challenge, 'k'));
    expect(e.code).toBe('PROTOCOL_ERROR');
    expect(e.message).toContain(`version ${PROTOCOL_VERSION}`);
    expect(e.message).toContain(`version ${PROTOCOL_VERSION + 1}`);
    const dialer = errorOf(() => helloFor({ ...challenge, version: PROTOCOL_VERSION + 1 }, client));
    expect(dialer.code).toBe('PROTOCOL_ERROR');
  });

  it('refuses a wrong cluster name on either side', () => {
    const challenge = challengeFor('prod', 'node-1');
    expect(errorOf(() => helloFor(challenge, { ...client, clusterName: 'staging' })).code).toBe(
      'UNAUTHORIZED',
    );
    const hello = { ...helloFor(challenge, client), cluster: 'staging' };
    const refused = errorOf(() => checkHello(hello, challenge, 'k'));
    expect(refused.message).toMatch(/cluster name mismatch/);
    // The name the node does have, so that the error can say what to pass.
    expect(refused.details).toEqual({ clusterName: 'prod' });
    expect(errorOf(() => helloFor(challenge, { ...client, clusterName: 'staging' })).details).toEqual({
      clusterName: 'prod',
    });
  });

  it('requires a host id from a peer', () => {
    const challenge = challengeFor('prod', 'node-1');
    const hello = helloFor(challenge, { role: 'peer', clusterName: 'prod' });
    expect(errorOf(() => checkHello(hello, challenge, undefined)).code).toBe('PROTOCOL_ERROR');
  });
});
