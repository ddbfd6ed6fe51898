import { sameReplication, shortfallMessage, type Replication } from '../protocol/consistency.js';
import { asRingkvError, isNodeStopping, RingkvError, unknownKeyspace } from '../protocol/errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, keyTooLarge, valueTooLarge } from '../protocol/limits.js';
import { settlesWithin } from '../protocol/settles-within.js';
import type { OpName, OpRequest, OpResult } from '../protocol/ops/index.js';
import { formatToken, tokenOf } from '../ring/partitioner.js';
import { effectiveOwnership } from '../ring/ownership.js';
import { systemClock } from '../coordination/system-clock.js';
import { Trace } from '../coordination/trace.js';
import type {
  AlteredKeyspace,
  ClientOptions,
  ClusterApi,
  EndpointsResult,
  GetResult,
  HintsReport,
  HintsTruncated,
  KeyspaceInfo,
  NodeCleanupEntry,
  NodeStatsEntry,
  PutResult,
  ReadResult,
  RepairOptions,
  RepairProgress,
  RepairSummary,
  RequestOptions,
  RingEntry,
  StatusResult,
  UnansweredNode,
  WriteOptions,
} from './api.js';
import { CLIENT_COORDINATOR_ID, ClientCoordinator } from './client-coordinator.js';
import { Connection } from './connection.js';
import { DEFAULT_ROUTER_OPTIONS, LatencyScores, Router, type RouteChoice } from './routing.js';
import { ClusterTopology, type NodeDoc } from './topology.js';
import { displayKey, shownRead, toBytes } from './values.js';

/** A client polls the topology this often while something watches it (the REPL). */
const TOPOLOGY_POLL_MS = 2000;
/** A request made with a view older than this refreshes it in the background. */
const TOPOLOGY_MAX_AGE_MS = 2000;
/** A node this client could not reach is routed around for this long, or until it answers. */
const SUSPECT_MS = 5000;
/** How long `stopNode` waits for the node to finish stopping: its drain, then its storage. */
const STOP_WAIT_MS = 30_000;
/** The coordinator gets this much beyond the request timeout to report its own timeout verdict. */
const COORDINATOR_GRACE_MS = 500;
/** Another coordinator is tried only while at least this share of the request's timeout is left. */
const MIN_TIME_FOR_NEXT = 0.1;
/**
 * A coordinator with others after it in the plan gets this share of the request's timeout to
 * finish a handshake (the last one, what is left of it): a paused node accepts the TCP connection
 * and never answers, and waiting out the whole timeout for it would leave nothing for the next
 * node, which would have taken the request (it was never sent, so even a write may go on).
 */
const MAX_HANDSHAKE_SHARE = 0.25;
/** After creating a keyspace, wait at most this long for every live node to know it (schema agreement). */
const SCHEMA_AGREEMENT_WAIT_MS = 10_000;
const SCHEMA_AGREEMENT_POLL_MS = 100;
/** Clock offsets beyond this make last-write-wins drop writes silently (CLI.md: status warns). */
const CLOCK_SKEW_WARNING_MS = 500;

/**
 * The client library: learns the cluster from any contact point and keeps that view current,
 * picks a coordinator per request with the chosen routing policy, fails over between nodes, and
 * (with coordination 'client') coordinates writes and reads itself.
 */
export class RingkvClient implements ClusterApi {
  private readonly connections = new Map<string, Promise<Connection>>();
  /** The cached connections that are open, by address: a request on one needs no await to start. */
  private readonly ready = new Map<string, Connection>();
  private readonly latency: LatencyScores;
  private readonly suspects = new Map<string, number>();
  private readonly router: Router;
  private topology: ClusterTopology;
  private topologyAtMs: number;
  private refreshing: Promise<ClusterTopology> | undefined;
  private contact: Connection;
  private readonly listeners = new Set<() => void>();
  private poller: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Abandons handshakes still under way when the client closes (a paused node never finishes one). */
  private readonly dials = new AbortController();
  readonly localDc: string;
  /**
   * Requests name this client's timeout when it is not the default, which coordinators assume:
   * they answer within it (naming the replicas that did not ack) rather than after the client gave up.
   */
  private readonly sendsTimeout: boolean;
  /** What every read asks of speculative retry: fixed by the options, so worked out once. */
  private readonly readRetry: Pick<OpRequest<'read'>, 'speculativeRetryMs' | 'speculativeRetryPercentile'>;
  /** When the request being routed started: route() reads latency scores as of then. */
  private routedAtMs = 0;
  private readonly scoreAtRouting = (hostId: string) => this.latency.score(hostId, this.routedAtMs);
  private readonly suspected = (hostId: string) => this.isSuspect(hostId);

  private constructor(
    private readonly options: ClientOptions,
    contact: Connection,
    topology: ClusterTopology,
  ) {
    this.contact = contact;
    this.topology = topology;
    this.topologyAtMs = systemClock.monotonicMs();
    const routerOptions = {
      ...DEFAULT_ROUTER_OPTIONS,
      ...(options.latencyRetryPeriodMs !== undefined ? { retryPeriodMs: options.latencyRetryPeriodMs } : {}),
    };
    this.router = new Router(options.route, routerOptions);
    this.latency = new LatencyScores(0.2, routerOptions.retryPeriodMs);
    this.localDc = options.localDc ?? topology.dcOf(topology.doc.hostId) ?? 'dc1';
    this.sendsTimeout = options.timeoutMs !== DEFAULT_REQUEST_TIMEOUT_MS;
    const spec = options.speculativeRetry;
    // A percentile is of the latencies the coordinator measured for its replicas.
    this.readRetry =
      spec.kind === 'never'
        ? { speculativeRetryMs: 0 }
        : spec.kind === 'fixed'
          ? { speculativeRetryMs: spec.ms }
          : { speculativeRetryPercentile: spec.p };
    const cached = Promise.resolve(contact);
    this.connections.set(contact.address, cached);
    this.ready.set(contact.address, contact);
    // Like every other connection, a closed contact leaves the cache: kept, it would fail every
    // later request to that node even after the node came back.
    contact.onClose(() => {
      if (this.connections.get(contact.address) === cached) this.connections.delete(contact.address);
      if (this.ready.get(contact.address) === contact) this.ready.delete(contact.address);
    });
  }

  /**
   * Connects through the first contact point that answers; NO_HOST_AVAILABLE (exit 3) when none
   * does. They are tried in order, the next as soon as one fails, or when one has not answered
   * within a share of the timeout (a paused node accepts the connection and never answers); the
   * first to answer wins and the others are abandoned. A refusal that another node would repeat
   * (another cluster, a wrong secret, an unknown local DC) fails at once.
   */
  static connect(options: ClientOptions): Promise<RingkvClient> {
    const points = options.contactPoints;
    const losers = new AbortController();
    const through = async (address: string): Promise<RingkvClient> => {
      let conn: Connection | undefined;
      try {
        conn = await Connection.open(address, { ...connectionOptions(options), signal: losers.signal });
        const topology = new ClusterTopology(await conn.request('topology', {}, options.timeoutMs));
        checkLocalDc(options.localDc, topology);
        return new RingkvClient(options, conn, topology);
      } catch (e) {
        conn?.close();
        throw e;
      }
    };
    return new Promise<RingkvClient>((resolve, reject) => {
      const reasons: string[] = [];
      // Every contact point answered too slowly rather than not at all: the timeout is the thing to change.
      let allTooSlow = true;
      /** Contact points dialled that have not answered (failed, or still in their handshake). */
      const silent = new Set<string>();
      let started = 0;
      let running = 0;
      let settled = false;
      let stagger: NodeJS.Timeout | undefined;
      const settle = (outcome: () => void): void => {
        settled = true;
        clearTimeout(stagger);
        losers.abort();
        outcome();
      };
      const startNext = (): void => {
        clearTimeout(stagger);
        const address = points[started];
        if (address === undefined) {
          if (running === 0)
            settle(() =>
              reject(
                new RingkvError(
                  'NO_HOST_AVAILABLE',
                  `no contact point could be reached (${reasons.join('; ')})`,
                  allTooSlow ? { timeoutMs: options.timeoutMs } : {},
                ),
              ),
            );
          return;
        }
        started++;
        running++;
        silent.add(address);
        if (started < points.length) stagger = setTimeout(startNext, options.timeoutMs * MAX_HANDSHAKE_SHARE);
        through(address).then(
          (client) => {
            running--;
            silent.delete(address);
            if (settled) void client.close();
            else settle(() => resolve(client.routingAround(silent)));
          },
          (e: unknown) => {
            running--;
            if (settled) return;
            if (e instanceof RingkvError && e.code !== 'NO_HOST_AVAILABLE' && e.code !== 'OVERLOADED')
              settle(() => reject(e));
            else {
              reasons.push(e instanceof Error ? e.message : String(e));
              if (!(e instanceof RingkvError && typeof e.details['timeoutMs'] === 'number'))
                allTooSlow = false;
              startNext();
            }
          },
        );
      };
      startNext();
    });
  }

  /** Contact points that did not answer while connecting: requests go to other nodes for a while. */
  private routingAround(addresses: ReadonlySet<string>): this {
    const until = systemClock.monotonicMs() + SUSPECT_MS;
    for (const n of this.topology.nodes) if (addresses.has(n.address)) this.suspects.set(n.hostId, until);
    return this;
  }

  contactAddress(): string {
    return this.contact.address;
  }

  currentTopology(): ClusterTopology {
    return this.topology;
  }

  /** This client's recent round-trip average to a node, ms (what latency-aware routing ranks by). */
  latencyOf(hostId: string): number | undefined {
    return this.latency.score(hostId, systemClock.monotonicMs())?.ewmaMs;
  }

  // ---- data ----

  put(key: string | Uint8Array, value: string | Uint8Array, opts: WriteOptions): Promise<PutResult> {
    return this.mutate(key, value, opts);
  }

  del(key: string | Uint8Array, opts: WriteOptions): Promise<PutResult> {
    return this.mutate(key, null, opts);
  }

  /**
   * Not async functions, this and get(): every request passes here, and its answer needs no frame
   * of its own to wait in.
   */
  private mutate(
    key: string | Uint8Array,
    value: string | Uint8Array | null,
    opts: WriteOptions,
  ): Promise<PutResult> {
    let trace: Trace | undefined;
    const answer = attempt(() => {
      const keyBytes = toBytes(key);
      const valueBytes = value === null ? null : toBytes(value);
      // Refused here rather than sent: a node closes a connection whose frame is past its limit,
      // failing every other request on it.
      const limit = this.contact.maxValueBytes;
      const tooLarge =
        keyTooLarge(keyBytes) ?? (limit === undefined ? undefined : valueTooLarge(valueBytes, limit));
      if (tooLarge) throw tooLarge;
      // Optional fields are set only when given (assigned, not spread: this runs for every write).
      const body: OpRequest<'mutate'> = {
        keyspace: opts.keyspace,
        key: keyBytes,
        value: valueBytes,
        cl: opts.cl,
      };
      if (this.sendsTimeout) body.timeoutMs = this.options.timeoutMs;
      if (opts.timestamp !== undefined) body.timestamp = opts.timestamp;
      if (opts.ttl !== undefined) body.ttl = opts.ttl;
      if (opts.trace) body.trace = true;
      trace = opts.trace ? new Trace(systemClock, CLIENT_COORDINATOR_ID) : undefined;
      return this.options.coordination === 'client'
        ? this.clientCoordinated(trace, () => this.clientCoordinator().mutate(body))
        : this.routed('mutate', body, keyBytes, opts.keyspace, trace);
    });
    return answer.then((result) => {
      const put: PutResult = {
        key: displayKey(key),
        keyspace: opts.keyspace,
        cl: opts.cl,
        timestamp: result.timestamp,
        acks: result.acks,
        hinted: result.hinted,
        coordinator: result.coordinator,
      };
      if (trace) put.trace = trace.events;
      return put;
    });
  }

  /** A read as people see it: the value as text, or base64 when it is not UTF-8 (CLI.md). */
  get(key: string | Uint8Array, opts: RequestOptions): Promise<GetResult> {
    return this.read(key, opts).then(shownRead);
  }

  /** A read with the value's bytes as stored: what a program wants. */
  read(key: string | Uint8Array, opts: RequestOptions): Promise<ReadResult> {
    let trace: Trace | undefined;
    const answer = attempt(() => {
      const keyBytes = toBytes(key);
      const tooLarge = keyTooLarge(keyBytes);
      if (tooLarge) throw tooLarge;
      const body: OpRequest<'read'> = { keyspace: opts.keyspace, key: keyBytes, cl: opts.cl };
      if (this.sendsTimeout) body.timeoutMs = this.options.timeoutMs;
      if (opts.trace) body.trace = true;
      const retry = this.readRetry;
      if (retry.speculativeRetryMs !== undefined) body.speculativeRetryMs = retry.speculativeRetryMs;
      if (retry.speculativeRetryPercentile !== undefined)
        body.speculativeRetryPercentile = retry.speculativeRetryPercentile;
      trace = opts.trace ? new Trace(systemClock, CLIENT_COORDINATOR_ID) : undefined;
      return this.options.coordination === 'client'
        ? this.clientCoordinated(trace, () => this.clientCoordinator().read(body))
        : this.routed('read', body, keyBytes, opts.keyspace, trace);
    });
    return answer.then((result) => {
      // Filled in field by field, in the order the JSON output shows them.
      const read = {
        key: displayKey(key),
        keyspace: opts.keyspace,
        cl: opts.cl,
        found: result.found,
      } as ReadResult;
      if (result.found && result.value) read.value = result.value;
      if (result.timestamp !== undefined) read.timestamp = result.timestamp;
      read.coordinator = result.coordinator;
      read.replicas = result.replicas;
      read.repaired = result.repaired;
      if (trace) read.trace = trace.events;
      return read;
    });
  }

  /** Runs a request the client coordinates itself; its events join the client's trace. */
  private async clientCoordinated<R extends { trace?: Trace['events'] | undefined }>(
    trace: Trace | undefined,
    run: () => Promise<R>,
  ): Promise<R> {
    this.refreshIfStale();
    trace?.add(
      'coordinator: this client (--coordination client): it contacts the replicas itself, no coordinator hop',
    );
    const startedAt = trace?.elapsedMicros() ?? 0;
    try {
      const result = await run();
      trace?.absorb(result.trace ?? [], startedAt);
      return result;
    } catch (e) {
      if (trace && e instanceof RingkvError && Array.isArray(e.details['trace'])) {
        trace.absorb(e.details['trace'] as Trace['events'], startedAt);
        e.details['trace'] = trace.events;
      }
      throw e;
    }
  }

  private coordinatorForClient: ClientCoordinator | undefined;
  private clientCoordinator(): ClientCoordinator {
    this.coordinatorForClient ??= new ClientCoordinator({
      topology: () => this.topology,
      localDc: this.localDc,
      timeoutMs: this.options.timeoutMs,
      speculativeRetry: this.options.speculativeRetry,
      send: (hostId, op, body, timeoutMs) => this.sendTo(hostId, op, body, timeoutMs),
      hintHolders: (target) => this.hintHolders(target),
    });
    return this.coordinatorForClient;
  }

  /** Live nodes other than the target, this client's DC first, then the fastest to answer. */
  private hintHolders(target: string): string[] {
    const now = systemClock.monotonicMs();
    return this.topology.nodes
      .filter((n) => n.hostId !== target && this.isCandidate(n))
      .map((n) => ({
        id: n.hostId,
        rank: (n.dc === this.localDc ? 0 : 1_000_000) + (this.latency.score(n.hostId, now)?.ewmaMs ?? 0),
      }))
      .sort((a, b) => a.rank - b.rank)
      .map((n) => n.id);
  }

  // ---- routing ----

  /**
   * Sends a keyed request to the coordinator the routing policy picks. Moves on to the next node
   * when one cannot be reached, when one does not know the keyspace yet (it has not heard of a new
   * keyspace through gossip), and, for reads, which are safe to repeat, when one does not answer.
   */
  private routed<K extends 'mutate' | 'read'>(
    op: K,
    body: OpRequest<K>,
    key: Uint8Array,
    keyspace: string,
    trace: Trace | undefined,
  ): Promise<OpResult<K>> {
    const now = systemClock.monotonicMs();
    this.refreshIfStale(now);
    this.routedAtMs = now;
    const choice = this.router.route({
      nodes: this.topology.nodes,
      replicas: this.topology.replicas(keyspace, tokenOf(key)),
      localDc: this.localDc,
      latency: this.scoreAtRouting,
      // Most of the time no node is suspect, and there is nothing to ask about each one.
      suspect: this.suspects.size > 0 ? this.suspected : undefined,
      localCoordinatorOnly: body.cl === 'LOCAL_ONE' || body.cl === 'LOCAL_QUORUM',
    });
    const first = choice.plan[0];
    const conn = first && !trace ? this.ready.get(first.address) : undefined;
    if (first === undefined || conn === undefined)
      return this.failOver(op, body, keyspace, trace, choice, 0, [], now);
    // Nearly every request: the first choice, connected, untraced. No async frame for it to keep.
    return conn.request(op, body, this.options.timeoutMs + COORDINATOR_GRACE_MS).then(
      (result) => {
        const answeredAt = systemClock.monotonicMs();
        this.answered(first.hostId, answeredAt - now, answeredAt);
        return result;
      },
      (e: unknown) => {
        const failures: string[] = [];
        if (!this.mayTryNext(op, keyspace, first, e, now, undefined, failures)) throw finalFailure(op, e);
        return this.failOver(op, body, keyspace, undefined, choice, 1, failures, now);
      },
    );
  }

  /**
   * The nodes of the plan from `from` on, one after another, until one answers, while the request
   * has time left: each attempt may wait out the timeout (a stopped node accepts the connection and
   * never answers), and trying the next ones after it would make the request last a multiple of it.
   */
  private async failOver<K extends 'mutate' | 'read'>(
    op: K,
    body: OpRequest<K>,
    keyspace: string,
    trace: Trace | undefined,
    choice: RouteChoice,
    from: number,
    failures: string[],
    startedMs: number,
  ): Promise<OpResult<K>> {
    const { timeoutMs } = this.options;
    const rest = choice.plan.slice(from);
    for (const [i, node] of rest.entries()) {
      if (
        failures.length > 0 &&
        systemClock.monotonicMs() - startedMs > timeoutMs * (1 - MIN_TIME_FOR_NEXT)
      ) {
        failures.push(`${rest.length - i} more not tried: the ${timeoutMs} ms timeout ran out`);
        trace?.add(`not trying ${rest.length - i} more node(s): the request's timeout ran out`);
        break;
      }
      let conn = this.ready.get(node.address);
      if (conn === undefined) {
        try {
          const connecting = this.connectionTo(node);
          const leftMs = Math.max(0, timeoutMs - (systemClock.monotonicMs() - startedMs));
          const waitMs = Math.round(
            i < rest.length - 1 ? Math.min(leftMs, timeoutMs * MAX_HANDSHAKE_SHARE) : leftMs,
          );
          if (!(await settlesWithin(connecting, waitMs))) {
            // Left to finish in the background: a node that was only slow is ready next time.
            throw new RingkvError('NO_HOST_AVAILABLE', `no handshake within ${waitMs} ms`);
          }
          conn = await connecting;
        } catch (e) {
          this.unreachable(node.hostId);
          failures.push(`${node.hostId} (${node.address}) unreachable: ${messageOf(e)}`);
          trace?.add(`cannot reach ${node.hostId} (${node.address}): ${messageOf(e)}`);
          continue;
        }
      }
      if (trace) {
        // The reason is worked out only here: untraced requests never read it.
        const why = failures.length === 0 ? choice.reason : `fail-over after ${failures.at(-1)}`;
        trace.add(`coordinator ${node.hostId} (${node.address}) chosen: ${why}`);
      }
      const sentAt = trace?.elapsedMicros() ?? 0;
      const started = systemClock.monotonicMs();
      try {
        const result = await conn.request(op, body, this.options.timeoutMs + COORDINATOR_GRACE_MS);
        const answeredAt = systemClock.monotonicMs();
        const ms = answeredAt - started;
        this.answered(node.hostId, ms, answeredAt);
        trace?.absorb(result.trace ?? [], sentAt);
        trace?.add(`reply from coordinator ${node.hostId} after ${ms.toFixed(2)} ms`);
        return result;
      } catch (e) {
        if (trace && e instanceof RingkvError && Array.isArray(e.details['trace']))
          trace.absorb(e.details['trace'] as Trace['events'], sentAt);
        if (!this.mayTryNext(op, keyspace, node, e, started, trace, failures)) throw finalFailure(op, e);
      }
    }
    const tried = failures.length > 0 ? ` (${failures.join('; ')})` : '';
    if (choice.onlyDc !== undefined) {
      throw new RingkvError(
        'NO_HOST_AVAILABLE',
        `no node of ${choice.onlyDc} could take the request${tried}; ${body.cl} counts the replicas of the coordinator's data center, so only a node of ${choice.onlyDc} (--local-dc) may coordinate it`,
        { dc: choice.onlyDc },
      );
    }
    throw new RingkvError('NO_HOST_AVAILABLE', `no node could take the request${tried}`);
  }

  /**
   * What a coordinator's failure says about it (no answer, stopping, a stale view of ours), and
   * whether the request may go to the next node; if so, the failure joins `failures`.
   */
  private mayTryNext(
    op: 'mutate' | 'read',
    keyspace: string,
    node: NodeDoc,
    e: unknown,
    startedMs: number,
    trace: Trace | undefined,
    failures: string[],
  ): boolean {
    if (!(e instanceof RingkvError)) return false;
    const ms = systemClock.monotonicMs() - startedMs;
    const unreachable = unanswered(e);
    // A stopping node refuses what it has not begun: any request may go to the next node.
    const notBegun = isNodeStopping(e);
    if (unreachable) {
      this.noAnswer(node.hostId, ms);
    } else if (notBegun) {
      this.unreachable(node.hostId);
    } else if (e.code === 'UNAVAILABLE') {
      // The coordinator sees fewer live replicas than we do: our view may be stale.
      this.refreshSoon();
    }
    const staleKeyspace =
      e.code === 'INVALID_REQUEST' &&
      e.details['keyspace'] === keyspace &&
      this.topology.replication(keyspace);
    const retry = Boolean(staleKeyspace) || notBegun || (unreachable && op === 'read');
    trace?.add(
      `coordinator ${node.hostId} failed after ${ms.toFixed(2)} ms: ${e.code} ${e.message}${retry ? '; trying the next node' : ''}`,
    );
    if (!retry) {
      if (trace) e.details['trace'] = trace.events;
      return false;
    }
    failures.push(`${node.hostId} (${node.address}): ${e.code}`);
    return true;
  }

  private answered(hostId: string, ms: number, nowMs: number): void {
    this.latency.record(hostId, ms, nowMs);
    this.suspects.delete(hostId);
  }

  /** The node took `ms` and gave no answer: that counts towards its latency, and it is suspect. */
  private noAnswer(hostId: string, ms: number): void {
    this.latency.record(hostId, ms, systemClock.monotonicMs());
    this.unreachable(hostId);
  }

  /** Routes around the node for a while and asks the cluster whether it is down. */
  private unreachable(hostId: string): void {
    this.suspects.set(hostId, systemClock.monotonicMs() + SUSPECT_MS);
    this.refreshSoon();
  }

  /** A node worth sending to: in the cluster, UP, and not failing this client a moment ago. */
  private isCandidate(n: NodeDoc): boolean {
    return n.status !== 'LEFT' && n.state === 'UP' && !this.isSuspect(n.hostId);
  }

  private isSuspect(hostId: string): boolean {
    const until = this.suspects.get(hostId);
    if (until === undefined) return false;
    if (until > systemClock.monotonicMs()) return true;
    this.suspects.delete(hostId);
    return false;
  }

  /** A request to one named node (replica-level operations of client coordination). */
  async sendTo<K extends OpName>(
    hostId: string,
    op: K,
    body: OpRequest<K>,
    timeoutMs = this.options.timeoutMs,
  ): Promise<OpResult<K>> {
    const node = this.topology.node(hostId);
    if (!node) throw new RingkvError('NO_HOST_AVAILABLE', `unknown node ${hostId}`);
    const started = systemClock.monotonicMs();
    try {
      const conn = this.ready.get(node.address) ?? (await this.connectionTo(node));
      const result = await conn.request(op, body, timeoutMs);
      const answeredAt = systemClock.monotonicMs();
      this.answered(hostId, answeredAt - started, answeredAt);
      return result;
    } catch (e) {
      if (unanswered(e)) this.noAnswer(hostId, systemClock.monotonicMs() - started);
      throw e;
    }
  }

  private connectionTo(node: NodeDoc): Promise<Connection> {
    // Work still finishing after close (a hint for a replica whose write close() cut off) must not
    // open new sockets that keep the process alive.
    if (this.closed) {
      return Promise.reject(
        new RingkvError('NO_HOST_AVAILABLE', `this client is closed; not connecting to ${node.address}`),
      );
    }
    const cached = this.connections.get(node.address);
    if (cached) return cached;
    const p = Connection.open(node.address, {
      ...connectionOptions(this.options),
      signal: this.dials.signal,
    });
    // Only this attempt's own entry is dropped: a newer connection to the node may have replaced it.
    const forget = () => {
      if (this.connections.get(node.address) !== p) return;
      this.connections.delete(node.address);
      this.ready.delete(node.address);
    };
    p.then((c) => {
      // `ready` holds exactly what the cached promises resolved to, so using it is awaiting them.
      if (this.connections.get(node.address) === p) this.ready.set(node.address, c);
      c.onClose(forget);
    }, forget);
    this.connections.set(node.address, p);
    return p;
  }

  /**
   * A cluster-level request to the contact node, moving to another live node if it went away
   * (or, for requests that are safe to repeat, does not answer).
   */
  private async admin<K extends OpName>(
    op: K,
    body: OpRequest<K>,
    timeoutMs = this.options.timeoutMs,
    idempotent = false,
  ): Promise<OpResult<K>> {
    // A stopping node (or its connection, closed as it stopped) began nothing: any request may move.
    const movesOn = (e: unknown) =>
      e instanceof RingkvError &&
      (e.code === 'NO_HOST_AVAILABLE' || isNodeStopping(e) || (idempotent && e.code === 'OVERLOADED'));
    try {
      return await this.contact.request(op, body, timeoutMs);
    } catch (e) {
      if (!movesOn(e)) throw e;
      for (const n of this.topology.nodes) {
        if (n.address === this.contact.address || !this.isCandidate(n)) continue;
        try {
          const conn = await this.connectionTo(n);
          const result = await conn.request(op, body, timeoutMs);
          this.contact = conn;
          return result;
        } catch (e2) {
          if (!movesOn(e2)) throw e2;
        }
      }
      throw e;
    }
  }

  // ---- cluster ----

  /** Asks the cluster for its current topology (the contact node's view, or another's if it is gone). */
  async refreshTopology(): Promise<ClusterTopology> {
    this.refreshing ??= this.admin('topology', {}, this.options.timeoutMs, true)
      .then((doc) => {
        this.topology = new ClusterTopology(doc);
        this.topologyAtMs = systemClock.monotonicMs();
        for (const cb of this.listeners) cb();
        return this.topology;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /** Refreshes in the background: the request at hand goes on with the view it has. */
  private refreshSoon(): void {
    if (this.closed) return;
    this.refreshTopology().catch(() => undefined);
  }

  private refreshIfStale(nowMs = systemClock.monotonicMs()): void {
    if (nowMs - this.topologyAtMs > TOPOLOGY_MAX_AGE_MS) this.refreshSoon();
  }

  onTopologyChange(cb: () => void): () => void {
    this.listeners.add(cb);
    if (!this.poller) {
      this.poller = setInterval(() => this.refreshSoon(), TOPOLOGY_POLL_MS);
      this.poller.unref();
    }
    return () => {
      this.listeners.delete(cb);
      if (this.listeners.size === 0 && this.poller) {
        clearInterval(this.poller);
        this.poller = undefined;
      }
    };
  }

  async status(keyspace: string): Promise<StatusResult> {
    const topology = await this.refreshTopology();
    const replication = topology.replication(keyspace);
    if (!replication) throw unknownKeyspace(keyspace);
    const owns = effectiveOwnership(topology.ring, replication);
    const warnings: string[] = [];
    const nodes = topology.nodes.map((n) => {
      if (n.clockOffsetMs !== undefined && Math.abs(n.clockOffsetMs) > CLOCK_SKEW_WARNING_MS) {
        warnings.push(
          `clock of ${n.hostId} (${n.address}) is ${Math.round(n.clockOffsetMs)} ms off the contact node's: last-write-wins may drop writes; sync clocks with NTP`,
        );
      }
      if (n.status === 'JOINING' && n.tokens.length === 0 && n.state === 'UP') {
        // A joining node picks its tokens within a second of starting; one that does not is
        // waiting to be told, which nothing else in the output says.
        warnings.push(
          `${n.hostId} (${n.address}) holds no tokens yet: it is picking them, or it was started with --no-join and waits for \`ringkv join --node ${n.address}\``,
        );
      }
      return {
        hostId: n.hostId,
        address: n.address,
        dc: n.dc,
        rack: n.rack,
        state: n.state,
        status: n.status,
        tokens: n.tokens.length,
        // Six places: a share of 2^64 tokens summed in floating point ends in noise (1.0000000000000002).
        owns: Math.round((owns.get(n.hostId) ?? 0) * 1e6) / 1e6,
        load: n.load,
        ...(n.clockOffsetMs !== undefined ? { clockOffsetMs: n.clockOffsetMs } : {}),
        ...(n.streamProgress !== undefined ? { streamProgress: n.streamProgress } : {}),
      };
    });
    // A keyspace that asks for more replicas than there are nodes fails some CLs whatever is up.
    const members = topology.nodes.filter((n) => n.status !== 'LEFT');
    for (const [name, r] of Object.entries(topology.doc.keyspaces)) {
      const short = shortfallMessage(name, r, members);
      if (short !== undefined) warnings.push(short);
    }
    return { keyspace, nodes, warnings };
  }

  async ring(): Promise<RingEntry[]> {
    const topology = await this.refreshTopology();
    return topology.ring.ranges().map((r) => ({
      token: formatToken(r.end),
      hostId: r.owner.hostId,
      address: topology.node(r.owner.hostId)?.address ?? '',
    }));
  }

  async endpoints(key: string | Uint8Array, keyspace: string): Promise<EndpointsResult> {
    const topology = await this.refreshTopology();
    if (!topology.replication(keyspace)) throw unknownKeyspace(keyspace);
    const token = tokenOf(toBytes(key));
    return {
      key: displayKey(key),
      keyspace,
      token: formatToken(token),
      replicas: topology.replicas(keyspace, token).map((n) => ({
        hostId: n.hostId,
        address: n.address,
        dc: n.dc,
        rack: n.rack,
        state: n.state,
      })),
    };
  }

  async keyspaces(): Promise<KeyspaceInfo[]> {
    const topology = await this.refreshTopology();
    return Object.entries(topology.doc.keyspaces)
      .map(([name, replication]) => ({ name, replication }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async createKeyspace(name: string, replication: Replication): Promise<KeyspaceInfo> {
    const r = await this.admin('keyspace_create', { name, replication });
    await this.awaitSchemaAgreement(name, (known) => known !== undefined);
    return { name: r.name, replication: r.replication };
  }

  async alterKeyspace(name: string, replication: Replication): Promise<AlteredKeyspace> {
    const r = await this.admin('keyspace_alter', { name, replication });
    await this.awaitSchemaAgreement(
      name,
      (known) => known !== undefined && sameReplication(known, replication),
    );
    return { name: r.name, replication: r.replication, previous: r.previous };
  }

  /**
   * Waits until every live node has the keyspace as `agreed` wants it, as the DataStax drivers
   * wait for schema agreement, so that the next request finds it whichever node coordinates it.
   * Gives up quietly after a while: routed requests still move on from a node that has not heard
   * of it yet.
   */
  private async awaitSchemaAgreement(
    keyspace: string,
    agreed: (known: Replication | undefined) => boolean,
  ): Promise<void> {
    const deadline = systemClock.monotonicMs() + SCHEMA_AGREEMENT_WAIT_MS;
    while (!this.closed && systemClock.monotonicMs() < deadline) {
      const topology = await this.refreshTopology();
      const live = topology.nodes.filter((n) => n.state === 'UP' && n.status !== 'LEFT');
      const knows = await Promise.all(
        live.map(async (n) => {
          try {
            const conn = await this.connectionTo(n);
            const doc = await conn.request('topology', {}, this.options.timeoutMs);
            return agreed(doc.keyspaces[keyspace]);
          } catch {
            // An unreachable node cannot hold up the others.
            return true;
          }
        }),
      );
      if (knows.every(Boolean)) return;
      await new Promise((resolve) => setTimeout(resolve, SCHEMA_AGREEMENT_POLL_MS));
    }
  }

  async hints(): Promise<HintsReport> {
    const r = await this.admin('hints_list', {}, this.options.timeoutMs * 2);
    return { hints: r.hints, unanswered: r.unanswered ?? [] };
  }

  async truncateHints(target?: string): Promise<HintsTruncated> {
    const r = await this.admin('hints_truncate', target ? { target } : {}, this.options.timeoutMs * 2);
    return { truncated: r.truncated, unanswered: r.unanswered ?? [] };
  }

  async repair(
    opts: RepairOptions,
    onProgress?: (p: RepairProgress) => void,
    signal?: AbortSignal,
  ): Promise<RepairSummary> {
    const off = this.contact.onEvent((event, body) => {
      if (event === 'repair_progress' && onProgress) onProgress(body as RepairProgress);
    });
    try {
      // A repair takes as long as it takes; the node reports failed ranges itself.
      const run = this.admin('repair', opts, 24 * 3600 * 1000);
      if (!signal) return await run;
      return await new Promise<RepairSummary>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(new RingkvError('REFUSED', 'repair cancelled')), {
          once: true,
        });
        run.then(resolve, reject);
      });
    } finally {
      off();
    }
  }

  /**
   * Asks the contact node to stop, and returns once it has: it closes its connections last, after
   * its storage, so a script may start another node on the same data folder right after.
   */
  async stopNode(): Promise<string> {
    const contact = this.contact;
    const gone = new Promise<void>((resolve) => {
      if (contact.closed) resolve();
      else contact.onClose(() => resolve());
    });
    const { hostId } = await contact.request('stop', {}, this.options.timeoutMs);
    if (!(await settlesWithin(gone, STOP_WAIT_MS))) {
      throw new RingkvError(
        'OVERLOADED',
        `${contact.address} took the stop but still runs after ${STOP_WAIT_MS / 1000} s: look at its log`,
      );
    }
    return hostId;
  }

  async decommission(): Promise<OpResult<'decommission'>> {
    return this.contact.request('decommission', {}, 24 * 3600 * 1000);
  }

  /** Cleanup runs on the contact node itself: what it drops depends on which node it is. */
  async cleanup(keyspace?: string): Promise<OpResult<'cleanup'>> {
    return this.contact.request('cleanup', keyspace !== undefined ? { keyspace } : {}, 24 * 3600 * 1000);
  }

  /** The contact node's own counters since it started; another node's would answer for itself. */
  async stats(): Promise<OpResult<'stats'>> {
    return this.contact.request('stats', {}, this.options.timeoutMs);
  }

  async statsOfEveryNode(): Promise<NodeStatsEntry[]> {
    const nodes = await this.membersNow();
    return Promise.all(nodes.map((n) => this.askNode(n, 'stats', {}, this.options.timeoutMs)));
  }

  async cleanupEveryNode(keyspace?: string): Promise<NodeCleanupEntry[]> {
    const entries: NodeCleanupEntry[] = [];
    const body = keyspace !== undefined ? { keyspace } : {};
    // In turn, as an operator runs nodetool cleanup: each rewrites its files, which is disk work
    // best not done everywhere at once.
    for (const n of await this.membersNow())
      entries.push(await this.askNode(n, 'cleanup', body, 24 * 3600 * 1000));
    return entries;
  }

  /** The nodes of the cluster (not LEFT), in the order of status. */
  private async membersNow(): Promise<NodeDoc[]> {
    return (await this.refreshTopology()).nodes.filter((n) => n.status !== 'LEFT');
  }

  /** A node's answer, or why it gave none, as a round of every node lists them. */
  private async askNode<K extends OpName>(
    n: NodeDoc,
    op: K,
    body: OpRequest<K>,
    timeoutMs: number,
  ): Promise<OpResult<K> | UnansweredNode> {
    try {
      return await (await this.connectionTo(n)).request(op, body, timeoutMs);
    } catch (e) {
      const { code, message } = asRingkvError(e);
      return { hostId: n.hostId, address: n.address, error: { code, message } };
    }
  }

  async removenode(hostId: string): Promise<OpResult<'removenode'>> {
    return this.admin('removenode', { hostId }, 24 * 3600 * 1000);
  }

  async join(seeds?: string[]): Promise<OpResult<'join'>> {
    return this.contact.request('join', seeds ? { seeds } : {}, 24 * 3600 * 1000);
  }

  close(): Promise<void> {
    this.closing ??= this.closeConnections();
    return this.closing;
  }

  private async closeConnections(): Promise<void> {
    // Writes this client coordinated that were answered at their CL may still wait on a replica:
    // its ack, or its hint, which a node holds only if it is sent before the connections close.
    // At most a replica's timeout and then a hint's.
    if (this.coordinatorForClient)
      await settlesWithin(this.coordinatorForClient.writesSettled(), 2 * this.options.timeoutMs);
    this.closed = true;
    this.dials.abort();
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    const all = [...this.connections.values()];
    this.connections.clear();
    this.ready.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }
}

function connectionOptions(o: ClientOptions): { secret?: string; clusterName: string; timeoutMs: number } {
  return {
    clusterName: o.clusterName ?? 'ringkv',
    timeoutMs: o.timeoutMs,
    ...(o.secret ? { secret: o.secret } : {}),
  };
}

/** Starts a request; a throw while starting it is its rejection, as in an async function. */
function attempt<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The node could not be reached or did not answer in time (as opposed to answering with an error). */
function unanswered(e: unknown): boolean {
  return e instanceof RingkvError && (e.code === 'NO_HOST_AVAILABLE' || e.code === 'OVERLOADED');
}

/**
 * What a request that may not go to another node fails with. A write whose coordinator was lost,
 * or did not answer, with it in flight may have been applied, as after a timeout: saying only that
 * the node is gone would suggest it was not.
 */
function finalFailure(op: 'mutate' | 'read', e: unknown): unknown {
  if (op !== 'mutate' || !unanswered(e)) return e;
  const lost = e as RingkvError;
  return new RingkvError(lost.code, `${lost.message}, with the write in flight: it may have been applied`, {
    ...lost.details,
    inFlight: true,
  });
}

/**
 * A local data center no node is in is a typo: LOCAL_* requests would fail as UNAVAILABLE with
 * "0 are alive", and dc-aware routing would quietly send everything to a remote DC.
 */
function checkLocalDc(localDc: string | undefined, topology: ClusterTopology): void {
  if (localDc === undefined) return;
  const dcs = [...new Set(topology.nodes.map((n) => n.dc))].sort();
  if (dcs.length === 0 || dcs.includes(localDc)) return;
  throw new RingkvError(
    'USAGE',
    `the local data center ${localDc} (--local-dc) has no node in this cluster; its data centers: ${dcs.join(', ')}`,
  );
}
