import type {
  EndpointState,
  GossipAck,
  GossipAck2,
  GossipDigest,
  GossipMessage,
  GossipSyn,
  HeartbeatState,
  KeyspaceDefinition,
  NodeStatus,
} from './messages.js';
import {
  compareVersions,
  copyState,
  deltaFor,
  digestOf,
  emptyDigest,
  isWellFormed,
  mergeKeyspaces,
  withBeat,
  type HostId,
} from './state.js';

/** How far past now a removenode's LEFT generation is put: more than any two clocks disagree. */
const REMOVAL_GENERATION_LEAD_MS = 24 * 3600 * 1000;

/**
 * Cassandra-style gossip as a pure state machine (etcd raft's shape): the driver calls `tick` once
 * a second and `receive` for every gossip message, sends what comes out, and reacts to `changed`
 * (update the ring, persist) and `heartbeats` (feed the failure detector). Liveness is not judged
 * here: the driver reports it through markAlive/markDead, and it only steers whom we gossip to.
 *
 * A round is syn (my digests) -> ack (what you lack, and digests of what I lack) -> ack2 (that).
 * A node is the only author of its own state, except that `removeNode` may mark a dead node LEFT
 * on its behalf; LEFT states are kept, so a stale copy arriving late cannot bring a node back.
 */

export interface LocalNodeInfo {
  hostId: HostId;
  /**
   * This incarnation's start time in ms; must exceed every earlier generation of this host id (the
   * driver persists the last one and uses max(now, last + 1)). Defaults to `nowMs`.
   */
  generation?: number;
  address: string;
  dc: string;
  rack: string;
  tokens: readonly string[];
  status: NodeStatus;
  load: number;
  keyspaces: Readonly<Record<string, KeyspaceDefinition>>;
}

export interface GossiperOptions {
  self: LocalNodeInfo;
  /** Seed addresses (ws://host:port, spelled as nodes gossip their own address); ours is ignored. */
  seeds: readonly string[];
  /** Uniform in [0, 1). */
  random: () => number;
  /** Wall clock, ms since the epoch. */
  nowMs: number;
}

export interface GossipSend {
  to: HostId;
  message: GossipMessage;
}

/** A syn for a seed whose host id we do not know yet: the driver sends it by address. */
export interface SeedDial {
  address: string;
  message: GossipSyn;
}

export interface GossipOutput {
  send: GossipSend[];
  /** Nodes whose info part (status, tokens, address, keyspaces...) or generation changed; may be us. */
  changed: HostId[];
  /** Peers whose heartbeat advanced (or that we just learned of): feed the failure detector. */
  heartbeats: HostId[];
}

export interface TickOutput extends GossipOutput {
  dial: SeedDial[];
}

export type LocalPatch = Partial<
  Pick<EndpointState, 'address' | 'dc' | 'rack' | 'status' | 'load' | 'streamProgress'> & {
    tokens: readonly string[];
    /** Merged into what we know (union, earliest definition wins); keyspaces are never removed. */
    keyspaces: Readonly<Record<string, KeyspaceDefinition>>;
  }
>;

class OutputCollector {
  readonly send: GossipSend[] = [];
  private readonly changed = new Set<HostId>();
  private readonly heartbeats = new Set<HostId>();

  markChanged(hostId: HostId): void {
    this.changed.add(hostId);
  }

  markHeartbeat(hostId: HostId): void {
    this.heartbeats.add(hostId);
  }

  output(): GossipOutput {
    return { send: this.send, changed: [...this.changed], heartbeats: [...this.heartbeats] };
  }
}

export class Gossiper {
  readonly hostId: HostId;
  private readonly endpoints = new Map<HostId, EndpointState>();
  private readonly dead = new Set<HostId>();
  private readonly seeds: readonly string[];
  private readonly random: () => number;

  constructor(options: GossiperOptions) {
    const { self, nowMs } = options;
    const generation = self.generation ?? nowMs;
    if (!(Number.isInteger(generation) && generation >= 1)) {
      throw new Error(`gossip generation must be a positive integer, got ${generation}`);
    }
    this.hostId = self.hostId;
    this.random = options.random;
    this.seeds = [...new Set(options.seeds)].filter((address) => address !== self.address);
    this.endpoints.set(self.hostId, {
      hostId: self.hostId,
      generation,
      // 0/0 is the digest of "nothing", so real states start at version 1.
      version: 1,
      infoVersion: 1,
      heartbeat: 0,
      wallClockMs: nowMs,
      address: self.address,
      dc: self.dc,
      rack: self.rack,
      tokens: [...self.tokens],
      status: self.status,
      load: self.load,
      keyspaces: mergeKeyspaces({}, self.keyspaces) ?? {},
    });
  }

  /** Every node we know, ourselves included, LEFT ones too. */
  states(): ReadonlyMap<HostId, Readonly<EndpointState>> {
    return this.endpoints;
  }

  local(): Readonly<EndpointState> {
    return this.self();
  }

  /** The keyspaces the cluster has agreed on, as far as we know. */
  keyspaces(): Readonly<Record<string, KeyspaceDefinition>> {
    return this.self().keyspaces;
  }

  markAlive(hostId: HostId): void {
    this.dead.delete(hostId);
  }

  markDead(hostId: HostId): void {
    if (hostId !== this.hostId) this.dead.add(hostId);
  }

  /** Peers we gossip with: not us, not LEFT, not reported dead. Newly learned peers count as live. */
  livePeers(): HostId[] {
    return this.peers().filter((h) => !this.dead.has(h));
  }

  unreachablePeers(): HostId[] {
    return this.peers().filter((h) => this.dead.has(h));
  }

  digestsFor(): GossipDigest[] {
    return [...this.endpoints.values()].map(digestOf);
  }

  /** A syn with all our digests, e.g. for the driver's first exchange with a seed address. */
  syn(): GossipSyn {
    return { kind: 'syn', digests: this.digestsFor() };
  }

  /**
   * A syn that mentions no node, ourselves included: the peer answers with every state it holds
   * and asks for none of ours, so a node can look at the cluster before the cluster learns of it
   * (Cassandra's shadow round).
   */
  shadowSyn(): GossipSyn {
    return { kind: 'syn', digests: [] };
  }

  /** One gossip round: beat our heart, then syn a live peer, maybe an unreachable one, maybe a seed. */
  tick(nowMs: number): TickOutput {
    const self = this.self();
    this.endpoints.set(this.hostId, {
      ...self,
      heartbeat: self.heartbeat + 1,
      version: self.version + 1,
      wallClockMs: nowMs,
    });

    const live = this.livePeers();
    const unreachable = this.unreachablePeers();
    const targets = new Set<HostId>();
    const dial: SeedDial[] = [];

    const liveTarget = this.pick(live);
    if (liveTarget !== undefined) targets.add(liveTarget);

    // As Cassandra: the more of the cluster is unreachable, the likelier we probe one of them.
    if (unreachable.length > 0 && this.random() < unreachable.length / (live.length + 1)) {
      const target = this.pick(unreachable);
      if (target !== undefined) targets.add(target);
    }

    // Seeds knit partitions back together and are how a new node gets in; gossip to one when we
    // know nobody, else now and then unless we just talked to one.
    const seedHosts = this.seedHosts();
    const talkedToSeed = liveTarget !== undefined && [...seedHosts.values()].includes(liveTarget);
    if (this.seeds.length > 0 && (!talkedToSeed || live.length < this.seeds.length)) {
      if (live.length === 0 || this.random() < this.seeds.length / (live.length + unreachable.length)) {
        const address = this.pick(this.seeds);
        if (address !== undefined) {
          const hostId = seedHosts.get(address);
          if (hostId !== undefined) targets.add(hostId);
          else dial.push({ address, message: this.syn() });
        }
      }
    }

    const send = [...targets].map((to) => ({ to, message: this.syn() }));
    return { send, dial, changed: [], heartbeats: [] };
  }

  /** Handle one gossip message from a peer (already validated at the socket). */
  receive(from: HostId, message: GossipMessage, nowMs: number): GossipOutput {
    const out = new OutputCollector();
    switch (message.kind) {
      case 'syn': {
        const ack = this.answerSyn(message);
        if (ack.states.length + ack.beats.length + ack.digests.length > 0) {
          out.send.push({ to: from, message: ack });
        }
        break;
      }
      case 'ack': {
        this.apply(message.states, message.beats, nowMs, out);
        const ack2 = this.answerAck(message);
        if (ack2.states.length + ack2.beats.length > 0) out.send.push({ to: from, message: ack2 });
        break;
      }
      case 'ack2':
        this.apply(message.states, message.beats, nowMs, out);
        break;
    }
    return out.output();
  }

  /** Take states learned elsewhere (a first pull from a seed, or peers persisted on disk). */
  applyStates(states: readonly EndpointState[], nowMs: number): GossipOutput {
    const out = new OutputCollector();
    this.apply(states, [], nowMs, out);
    return out.output();
  }

  /** Change our own info part; returns whether anything changed (and so will spread). */
  localUpdate(patch: LocalPatch): boolean {
    const self = this.self();
    const next: EndpointState = {
      ...self,
      address: patch.address ?? self.address,
      dc: patch.dc ?? self.dc,
      rack: patch.rack ?? self.rack,
      status: patch.status ?? self.status,
      load: patch.load ?? self.load,
      ...(patch.streamProgress !== undefined || self.streamProgress !== undefined
        ? { streamProgress: patch.streamProgress ?? self.streamProgress }
        : {}),
      tokens: patch.tokens === undefined ? self.tokens : [...patch.tokens],
      keyspaces:
        patch.keyspaces === undefined
          ? self.keyspaces
          : (mergeKeyspaces(self.keyspaces, patch.keyspaces) ?? self.keyspaces),
    };
    const changed =
      next.address !== self.address ||
      next.dc !== self.dc ||
      next.rack !== self.rack ||
      next.status !== self.status ||
      next.load !== self.load ||
      next.streamProgress !== self.streamProgress ||
      !sameList(next.tokens, self.tokens) ||
      next.keyspaces !== self.keyspaces;
    if (changed) this.bumpInfo(next);
    return changed;
  }

  /**
   * removenode: mark a dead node LEFT on its behalf, above anything it said, so it leaves the ring
   * everywhere. Our copy of its state may be a few beats behind another node's, so one version
   * past ours is not enough (that copy would win and put the node back in the ring); the LEFT
   * state takes a later generation instead, which outranks every version of the old one. Our copy
   * may even be of an older incarnation (we restarted from peers saved on disk, and it restarted
   * since), so the generation is also past now by a lead no clock skew reaches: generations are
   * start times on the node's own clock, and the dead node's last one began before now on it, which
   * may run seconds ahead of ours. The driver must only do this for a node it sees DOWN: a live
   * node is the author of its own state and will reassert itself.
   */
  removeNode(hostId: HostId, nowMs = 0): boolean {
    if (hostId === this.hostId) throw new Error('a node cannot removenode itself; it decommissions');
    const state = this.endpoints.get(hostId);
    if (state === undefined || state.status === 'LEFT') return false;
    this.endpoints.set(hostId, {
      ...state,
      status: 'LEFT',
      generation: Math.max(state.generation + 1, Math.floor(nowMs) + REMOVAL_GENERATION_LEAD_MS),
      version: 1,
      infoVersion: 1,
    });
    this.dead.delete(hostId);
    return true;
  }

  private self(): EndpointState {
    const self = this.endpoints.get(this.hostId);
    if (self === undefined) throw new Error('gossiper lost its own state');
    return self;
  }

  private bumpInfo(next: EndpointState): void {
    const version = this.self().version + 1;
    this.endpoints.set(this.hostId, { ...next, version, infoVersion: version });
  }

  private peers(): HostId[] {
    const peers: HostId[] = [];
    for (const [hostId, state] of this.endpoints) {
      if (hostId !== this.hostId && state.status !== 'LEFT') peers.push(hostId);
    }
    return peers;
  }

  /** Seed address -> host id, for seeds whose state we hold (the latest incarnation at that address). */
  private seedHosts(): Map<string, HostId> {
    const byAddress = new Map<string, EndpointState>();
    const seeds = new Set(this.seeds);
    for (const state of this.endpoints.values()) {
      if (state.hostId === this.hostId || state.status === 'LEFT' || !seeds.has(state.address)) continue;
      const other = byAddress.get(state.address);
      if (other === undefined || state.generation > other.generation) byAddress.set(state.address, state);
    }
    return new Map([...byAddress].map(([address, state]) => [address, state.hostId]));
  }

  private pick<T>(items: readonly T[]): T | undefined {
    if (items.length === 0) return undefined;
    const index = Math.min(items.length - 1, Math.floor(this.random() * items.length));
    return items[index];
  }

  private answerSyn(syn: GossipSyn): GossipAck {
    const ack: GossipAck = { kind: 'ack', states: [], beats: [], digests: [] };
    const mentioned = new Set<HostId>();
    for (const digest of syn.digests) {
      if (mentioned.has(digest.hostId)) continue;
      mentioned.add(digest.hostId);
      const ours = this.endpoints.get(digest.hostId);
      if (ours === undefined) {
        if (digest.version > 0) ack.digests.push(emptyDigest(digest.hostId));
        continue;
      }
      const order = compareVersions(digest, ours);
      if (order > 0) ack.digests.push(digestOf(ours));
      else if (order < 0) addDelta(ack, ours, digest);
    }
    // Nodes the sender has never heard of: a newcomer learns the whole cluster in one round.
    for (const state of this.endpoints.values()) {
      if (!mentioned.has(state.hostId)) addDelta(ack, state, undefined);
    }
    return ack;
  }

  private answerAck(ack: GossipAck): GossipAck2 {
    const ack2: GossipAck2 = { kind: 'ack2', states: [], beats: [] };
    const answered = new Set<HostId>();
    for (const wanted of ack.digests) {
      if (answered.has(wanted.hostId)) continue;
      answered.add(wanted.hostId);
      const ours = this.endpoints.get(wanted.hostId);
      if (ours !== undefined) addDelta(ack2, ours, wanted);
    }
    return ack2;
  }

  private apply(
    states: readonly EndpointState[],
    beats: readonly HeartbeatState[],
    nowMs: number,
    out: OutputCollector,
  ): void {
    for (const incoming of states) {
      if (!isWellFormed(incoming, nowMs)) continue;
      if (incoming.hostId === this.hostId) {
        this.reassert(incoming, out);
        continue;
      }
      const ours = this.endpoints.get(incoming.hostId);
      if (ours !== undefined && compareVersions(incoming, ours) <= 0) continue;
      this.endpoints.set(incoming.hostId, copyState(incoming));
      if (
        ours === undefined ||
        ours.generation !== incoming.generation ||
        ours.infoVersion !== incoming.infoVersion
      ) {
        out.markChanged(incoming.hostId);
      }
      const beating =
        ours === undefined || ours.generation !== incoming.generation || incoming.heartbeat > ours.heartbeat;
      // A LEFT node is not expected to beat; learning of one must not start judging its liveness.
      if (beating && incoming.status !== 'LEFT') {
        out.markHeartbeat(incoming.hostId);
      }
      this.adoptKeyspaces(incoming.keyspaces, out);
    }
    for (const beat of beats) {
      if (!isWellFormed(beat, nowMs)) continue;
      if (beat.hostId === this.hostId) {
        this.reassert(beat, out);
        continue;
      }
      const ours = this.endpoints.get(beat.hostId);
      const next = ours === undefined ? undefined : withBeat(ours, beat);
      if (ours === undefined || next === undefined) continue;
      this.endpoints.set(beat.hostId, next);
      if (next.heartbeat > ours.heartbeat) out.markHeartbeat(beat.hostId);
    }
  }

  /**
   * Someone holds a newer state of ours than we do: a removenode of a node that was not dead after
   * all, or a clock trouble between incarnations. We are the author of our state, so we jump past
   * it with our own info; `changed` names us so the driver persists a new generation.
   */
  private reassert(incoming: HeartbeatState, out: OutputCollector): void {
    const self = this.self();
    if (compareVersions(incoming, self) <= 0) return;
    // Newer means a generation at least ours, so one past its version is past both.
    const generation = incoming.generation;
    const version = incoming.version + 1;
    this.endpoints.set(this.hostId, { ...self, generation, version, infoVersion: version });
    out.markChanged(this.hostId);
  }

  /** Every node carries the cluster's keyspaces, so they survive the node that created them. */
  private adoptKeyspaces(
    keyspaces: Readonly<Record<string, KeyspaceDefinition>>,
    out: OutputCollector,
  ): void {
    const self = this.self();
    const merged = mergeKeyspaces(self.keyspaces, keyspaces);
    if (merged === undefined) return;
    this.bumpInfo({ ...self, keyspaces: merged });
    out.markChanged(this.hostId);
  }
}

function addDelta(
  into: { states: EndpointState[]; beats: HeartbeatState[] },
  state: EndpointState,
  known: GossipDigest | undefined,
): void {
  const delta = deltaFor(state, known);
  if (delta === undefined) return;
  if ('beat' in delta) into.beats.push(delta.beat);
  else into.states.push(delta.state);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
