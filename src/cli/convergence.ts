import { Connection } from '../client/connection.js';
import type { TopologyDoc } from '../client/topology.js';
import { RingkvError } from '../protocol/errors.js';

export interface ClusterAuth {
  clusterName: string;
  secret?: string | undefined;
}

/** How long `start --detach` and `join` wait for the cluster to take a node for a member. */
const MEMBERSHIP_TIMEOUT_MS = 60_000;

/** How often a wait asks the nodes again; gossip rounds are a second apart by default. */
const POLL_MS = 100;
const ASK_TIMEOUT_MS = 2000;

/** One node's view of the cluster, over a connection opened for the question. */
export async function viewFrom(address: string, auth: ClusterAuth): Promise<TopologyDoc['nodes']> {
  const conn = await Connection.open(address, { ...auth, timeoutMs: ASK_TIMEOUT_MS });
  try {
    return (await conn.request('topology', {}, ASK_TIMEOUT_MS)).nodes;
  } finally {
    conn.close();
  }
}

/**
 * Why the cluster does not take node `hostId` (at `address`) for a full member yet, or undefined
 * when it does: the node itself and every peer it sees UP must see it UP and NORMAL. Until they
 * do, a coordinator that still sees it JOINING counts it as a pending replica on top of the CL,
 * and one that sees it DOWN leaves it out.
 */
async function notYetMember(address: string, hostId: string, auth: ClusterAuth): Promise<string | undefined> {
  const own = await viewFrom(address, auth);
  const self = own.find((n) => n.hostId === hostId);
  if (self?.status !== 'NORMAL') return `it is ${self?.status ?? 'not in its own view'}`;
  for (const peer of own) {
    if (peer.hostId === hostId || peer.state !== 'UP') continue;
    let view: TopologyDoc['nodes'];
    try {
      view = await viewFrom(peer.address, auth);
    } catch {
      // Unreachable from here (dying, or on a network this machine does not see): it coordinates
      // nothing we could ask it to, and the node's own gossip settles it.
      continue;
    }
    const seen = view.find((n) => n.hostId === hostId);
    if (seen?.state !== 'UP' || seen.status !== 'NORMAL') {
      return `${peer.address} sees it ${seen ? `${seen.state} ${seen.status}` : 'not at all'}`;
    }
  }
  return undefined;
}

/** Asks `check` until it answers undefined; past the deadline its last answer becomes the error. */
export async function pollUntil(
  check: () => Promise<string | undefined>,
  timeoutMs: number,
  describeTimeout: (lastAnswer: string) => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let answer: string | undefined;
    try {
      answer = await check();
    } catch (e) {
      answer = `no answer: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (answer === undefined) return;
    if (Date.now() > deadline) throw new RingkvError('UNAVAILABLE', describeTimeout(answer));
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Returns once the cluster takes node `hostId` (at `address`) for a full member (notYetMember),
 * as `start --detach` and `join` wait; after MEMBERSHIP_TIMEOUT_MS, fails with `describe` given
 * what is wrong ("the cluster does not take it for a member after 60 s: ...").
 */
export function awaitMember(
  address: string,
  hostId: string,
  auth: ClusterAuth,
  describe: (notMember: string) => string,
): Promise<void> {
  return pollUntil(
    () => notYetMember(address, hostId, auth),
    MEMBERSHIP_TIMEOUT_MS,
    (answer) =>
      describe(
        `the cluster does not take it for a member after ${MEMBERSHIP_TIMEOUT_MS / 1000} s: ${answer}`,
      ),
  );
}
