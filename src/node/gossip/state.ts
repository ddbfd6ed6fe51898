import { replicationKey, sameReplication, type Replication } from '../../protocol/consistency.js';
import type { EndpointState, GossipDigest, HeartbeatState, KeyspaceDefinition } from './messages.js';

/**
 * Pure rules on gossiped node states: which of two is newer, what to send a peer that knows an
 * older one, and how keyspace definitions merge.
 */

export type HostId = string;

/** A generation this far past our own wall clock is garbage (a broken clock), as Cassandra judges. */
export const MAX_GENERATION_AHEAD_MS = 365 * 24 * 3600 * 1000;

export interface Versioned {
  generation: number;
  version: number;
}

/** > 0 when a is newer: a later generation (a restart) wins whatever its version. */
export function compareVersions(a: Versioned, b: Versioned): number {
  if (a.generation !== b.generation) return a.generation > b.generation ? 1 : -1;
  return a.version === b.version ? 0 : a.version > b.version ? 1 : -1;
}

export function digestOf(state: EndpointState): GossipDigest {
  return {
    hostId: state.hostId,
    generation: state.generation,
    version: state.version,
    infoVersion: state.infoVersion,
  };
}

/** A digest saying "I know nothing of this node": every real state is newer. */
export function emptyDigest(hostId: HostId): GossipDigest {
  return { hostId, generation: 0, version: 0, infoVersion: 0 };
}

export function heartbeatOf(state: EndpointState): HeartbeatState {
  return {
    hostId: state.hostId,
    generation: state.generation,
    version: state.version,
    infoVersion: state.infoVersion,
    heartbeat: state.heartbeat,
    wallClockMs: state.wallClockMs,
  };
}

/**
 * What to send a peer whose copy of this node is `known`: only the heartbeat part when the peer
 * holds the current info part, otherwise the whole state. Undefined when the peer is up to date.
 * Comparing info versions (rather than trusting that an older version implies our info) keeps two
 * copies with diverging histories, as a removenode of a live node makes, from waiting forever on
 * heartbeats that cannot apply.
 */
export function deltaFor(
  state: EndpointState,
  known: GossipDigest | undefined,
): { state: EndpointState } | { beat: HeartbeatState } | undefined {
  if (known !== undefined && compareVersions(state, known) <= 0) return undefined;
  if (
    known !== undefined &&
    known.generation === state.generation &&
    known.infoVersion === state.infoVersion
  ) {
    return { beat: heartbeatOf(state) };
  }
  return { state };
}

/**
 * The state after a heartbeat-only update, or undefined when it does not apply: the beat must be
 * newer and stack on exactly the info part we hold (else we wait for the full state).
 */
export function withBeat(state: EndpointState, beat: HeartbeatState): EndpointState | undefined {
  if (beat.generation !== state.generation || beat.infoVersion !== state.infoVersion) return undefined;
  if (beat.version <= state.version) return undefined;
  return { ...state, version: beat.version, heartbeat: beat.heartbeat, wallClockMs: beat.wallClockMs };
}

/** Whether a state from the wire is internally consistent enough to keep. */
export function isWellFormed(state: HeartbeatState, nowMs: number): boolean {
  return (
    state.generation >= 1 &&
    state.version >= 1 &&
    state.infoVersion >= 1 &&
    state.infoVersion <= state.version &&
    state.generation <= nowMs + MAX_GENERATION_AHEAD_MS
  );
}

/**
 * Of two definitions of the same keyspace, the one every node keeps: the earliest created (the
 * first CREATE wins, as a later one would have been refused had it seen the first); of one
 * creation, the most recently altered (the last ALTER wins); on a tie, the smaller canonical JSON
 * of the replication, an arbitrary but deterministic choice.
 */
export function preferredKeyspace(a: KeyspaceDefinition, b: KeyspaceDefinition): KeyspaceDefinition {
  if (a.createdAtMicros !== b.createdAtMicros) return a.createdAtMicros < b.createdAtMicros ? a : b;
  if (changedAt(a) !== changedAt(b)) return changedAt(a) > changedAt(b) ? a : b;
  return replicationKey(a.replication) <= replicationKey(b.replication) ? a : b;
}

/** When the definition's replication was last set: its creation, or its latest alteration. */
export function changedAt(k: KeyspaceDefinition): number {
  return k.alteredAtMicros ?? k.createdAtMicros;
}

/**
 * `k` with a new replication, stamped later than its last change even when `nowMicros` is behind
 * it (the node that altered it before had a clock ahead of ours), so the new one wins everywhere.
 */
export function alteredKeyspace(
  k: KeyspaceDefinition,
  replication: Replication,
  nowMicros: number,
): KeyspaceDefinition {
  return {
    replication,
    createdAtMicros: k.createdAtMicros,
    alteredAtMicros: Math.max(nowMicros, changedAt(k) + 1),
  };
}

export function sameKeyspace(a: KeyspaceDefinition, b: KeyspaceDefinition): boolean {
  return (
    a.createdAtMicros === b.createdAtMicros &&
    a.alteredAtMicros === b.alteredAtMicros &&
    sameReplication(a.replication, b.replication)
  );
}

/**
 * The union of two keyspace maps, with `preferredKeyspace` for names in both; returns undefined
 * when `into` already says it all. Keyspaces are never dropped through gossip.
 */
export function mergeKeyspaces(
  into: Readonly<Record<string, KeyspaceDefinition>>,
  from: Readonly<Record<string, KeyspaceDefinition>>,
): Record<string, KeyspaceDefinition> | undefined {
  let merged: Record<string, KeyspaceDefinition> | undefined;
  for (const [name, theirs] of Object.entries(from)) {
    const ours = Object.hasOwn(into, name) ? into[name] : undefined;
    const winner = ours === undefined ? theirs : preferredKeyspace(ours, theirs);
    if (ours !== undefined && sameKeyspace(ours, winner)) continue;
    merged ??= { ...into };
    merged[name] = copyKeyspace(winner);
  }
  return merged;
}

function copyKeyspace(k: KeyspaceDefinition): KeyspaceDefinition {
  return {
    replication: structuredClone(k.replication),
    createdAtMicros: k.createdAtMicros,
    ...(k.alteredAtMicros !== undefined ? { alteredAtMicros: k.alteredAtMicros } : {}),
  };
}

/** A deep copy, so a state we keep never aliases a decoded message or a caller's object. */
export function copyState(state: EndpointState): EndpointState {
  const keyspaces: Record<string, KeyspaceDefinition> = {};
  for (const [name, k] of Object.entries(state.keyspaces)) keyspaces[name] = copyKeyspace(k);
  return { ...state, tokens: [...state.tokens], keyspaces };
}
