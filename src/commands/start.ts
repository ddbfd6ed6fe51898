import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Flags } from '@oclif/core';
import { BaseCommand, reportFailure, usage } from '../cli/base-command.js';
import { refusing } from '../cli/data-flags.js';
import { parseContactPoints } from '../client/options.js';
import { parseDurationMs } from '../cli/duration.js';
import { awaitMember, type ClusterAuth } from '../cli/convergence.js';
import { ERROR_CODES, exitCodeFor, RingkvError, type ErrorCode } from '../protocol/errors.js';
import { errorLine } from '../repl/format.js';
import {
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  locationNameProblem,
  MAX_REQUEST_TIMEOUT_MS,
  MAX_VALUE_BYTES_CEILING,
} from '../protocol/limits.js';
import { refuseOpenListener, startDaemon } from '../node/daemon.js';
import { makeDataFolder, WRITE_FAILURE_REASONS } from '../node/data-folder.js';
import { streamLogger } from '../node/log.js';
import { DEFAULT_ROW_CACHE_BYTES, MIB, rowCacheProblem } from '../node/storage/row-cache.js';

interface Started {
  address: string;
  pid: number;
  hostId: string;
}

/** A detached node has this long to start accepting requests (a bootstrap may stream for a while). */
const DETACH_READY_TIMEOUT_MS = 120_000;
/** After an internal error, the longest a node waits for its clean stop before it exits anyway. */
const INTERNAL_ERROR_STOP_MS = 5_000;

export default class Start extends BaseCommand {
  static override summary = 'Run a node: listen on one WebSocket port, store in LevelDB, join through seeds';
  static override description =
    'Runs in the foreground (logs to stdout; SIGINT, SIGTERM and SIGHUP stop it cleanly) unless --detach, which returns once the node has joined and every live node sees it UP and NORMAL (with --no-join: once it accepts requests). In the foreground with --json the node logs to stderr and prints its one document as soon as it accepts requests.';
  static override examples = [
    '<%= config.bin %> start --port 7400',
    '<%= config.bin %> start --port 7401 --seeds ws://127.0.0.1:7400 --detach',
  ];
  static override flags = {
    host: Flags.string({ description: 'interface to listen on', default: '127.0.0.1' }),
    port: Flags.integer({
      description: 'WebSocket port (0 picks a free one, the one this data folder had last when free)',
      default: 7400,
      min: 0,
      max: 65535,
    }),
    'broadcast-address': Flags.string({
      description: 'host name or IP other nodes and clients dial (default: --host)',
    }),
    data: Flags.string({ description: 'data folder (default: ./ringkv-data/<port>)' }),
    seeds: Flags.string({ description: 'seed nodes ws://HOST:PORT, comma-separated', multiple: true }),
    dc: Flags.string({
      description: "data center of this node (default: the data folder's, else dc1)",
      parse: refusing((name) => locationNameProblem('data center', name)),
    }),
    rack: Flags.string({
      description: "rack of this node (default: the data folder's, else rack1)",
      parse: refusing((name) => locationNameProblem('rack', name)),
    }),
    'num-tokens': Flags.integer({ description: 'vnodes per node', default: 16, min: 1, max: 256 }),
    'cluster-name': Flags.string({
      description: 'cluster name; nodes and clients of another cluster are refused',
      default: 'ringkv',
    }),
    secret: Flags.string({
      description: 'cluster secret for challenge-response authentication',
      env: 'RINGKV_SECRET',
    }),
    insecure: Flags.boolean({
      description: 'allow listening beyond loopback without a secret',
      default: false,
    }),
    join: Flags.boolean({
      description: 'join the ring at start (--no-join: wait for `ringkv join`)',
      default: true,
      allowNo: true,
    }),
    'phi-convict-threshold': Flags.integer({
      description: 'phi at which a silent peer is convicted DOWN',
      default: 8,
      min: 1,
      max: 16,
    }),
    'hinted-handoff': Flags.string({
      description: 'store hints for replicas that miss writes',
      options: ['true', 'false'],
      default: 'true',
    }),
    'max-hint-window': Flags.string({
      description: 'stop hinting a node down longer than this',
      default: '3h',
    }),
    'hinted-handoff-throttle': Flags.integer({
      description: 'hint replay rate per target in KiB/s',
      default: 1024,
      min: 1,
    }),
    'max-value-bytes': Flags.integer({
      description: 'largest value accepted',
      default: DEFAULT_MAX_VALUE_BYTES,
      min: 1,
      max: MAX_VALUE_BYTES_CEILING,
    }),
    'row-cache-mb': Flags.integer({
      description:
        'memory for the latest cell of recently used keys, which writes decide against without reading storage, in MiB (0: none)',
      default: DEFAULT_ROW_CACHE_BYTES / MIB,
      min: 0,
      max: 1024 * 1024,
    }),
    'request-timeout': Flags.integer({
      description: "the longest a coordinator waits for replicas, in ms; a client's shorter --timeout wins",
      default: DEFAULT_REQUEST_TIMEOUT_MS,
      min: 10,
      max: MAX_REQUEST_TIMEOUT_MS,
    }),
    'gossip-interval': Flags.integer({
      description: 'ms between gossip rounds',
      default: 1000,
      min: 10,
      hidden: true,
    }),
    'ring-delay': Flags.integer({
      description: 'ms a joining/leaving node lets its status spread before streaming',
      default: 3000,
      min: 0,
      hidden: true,
    }),
    'gc-grace': Flags.string({
      description: 'how long tombstones are kept before they may be purged (run repair more often than this)',
      // Cassandra's gc_grace_seconds default: repair weekly and deleted data never comes back.
      default: '10d',
    }),
    detach: Flags.boolean({
      description: 'run in the background; return once every live node sees it UP and NORMAL',
      default: false,
    }),
    'log-file': Flags.string({
      description: 'with --detach: where the node logs (default: <data>/node.log)',
    }),
  };

  async run(): Promise<Started | undefined> {
    const { flags } = await this.parse(Start);
    const dataDir = resolve(flags.data ?? `./ringkv-data/${flags.port}`);
    const seeds = flags.seeds ? parseContactPoints(flags.seeds, '--seeds') : [];
    const maxHintWindowMs = parseDurationMs(flags['max-hint-window'], '--max-hint-window');
    const rowCacheBytes = flags['row-cache-mb'] * MIB;
    // Here, before a detaching start forks: its child runs on the same heap ceiling.
    const tooLarge = rowCacheProblem(rowCacheBytes, getHeapStatistics().heap_size_limit);
    if (tooLarge) throw usage(`--row-cache-mb ${flags['row-cache-mb']}: ${tooLarge}`);
    if (flags['log-file'] !== undefined && !flags.detach) {
      // In the foreground the node logs to stdout: the file would stay empty.
      throw usage(
        '--log-file needs --detach; in the foreground the node logs to stdout, or stderr with --json (redirect it)',
      );
    }
    if (flags.detach) {
      // Before the folder and its log are made: a refused start leaves nothing behind.
      refuseOpenListener({ host: flags.host, secret: flags.secret, insecure: flags.insecure });
      return this.detach(dataDir, flags['log-file'], flags.join, {
        clusterName: flags['cluster-name'],
        secret: flags.secret,
      });
    }

    // --json keeps stdout for its one document (CLI.md); the log goes to stderr then.
    const json = this.jsonEnabled();
    const logger = streamLogger((line) => (json ? process.stderr : process.stdout).write(line));
    const daemon = await startDaemon({
      host: flags.host,
      port: flags.port,
      broadcastHost: flags['broadcast-address'],
      dataDir,
      secret: flags.secret,
      insecure: flags.insecure,
      logger,
      clusterName: flags['cluster-name'],
      dc: flags.dc,
      rack: flags.rack,
      numTokens: flags['num-tokens'],
      seeds,
      autoJoin: flags.join,
      requestTimeoutMs: flags['request-timeout'],
      maxValueBytes: flags['max-value-bytes'],
      rowCacheBytes,
      hintedHandoff: flags['hinted-handoff'] === 'true',
      maxHintWindowMs,
      hintThrottleKiBPerSecond: flags['hinted-handoff-throttle'],
      phiConvictThreshold: flags['phi-convict-threshold'],
      gossipIntervalMs: flags['gossip-interval'],
      ringDelayMs: flags['ring-delay'],
      gcGraceSeconds: Math.round(parseDurationMs(flags['gc-grace'], '--gc-grace') / 1000),
    });
    const started = { address: daemon.address, pid: process.pid, hostId: daemon.hostId };
    // A detaching parent waits for this message to know the node accepts requests.
    process.send?.({ ready: started });
    process.channel?.unref();
    // Now, as --detach does, not when the node stops: a script waits for it to go on.
    if (json) this.logJson(started);

    let fatal: RingkvError | undefined;
    await new Promise<void>((done) => {
      const stop = (why: string) => {
        logger.info('stopping', { reason: why });
        daemon.stop().then(done, (e: unknown) => {
          logger.error('error while stopping', { error: String(e) });
          done();
        });
      };
      // SIGHUP too: a node in the foreground of a terminal that closes stops as cleanly as on Ctrl-C.
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => stop(signal));
      void daemon.stopRequested.then(() => stop('requested by a client'));
      void daemon.failed.then((e) => {
        fatal = e;
        stop(e.message);
      });
      watchOwner(process.env.RINGKV_EXIT_WITH_PID, () => stop('the process that started this node is gone'));
      // A bug that escapes every handler would otherwise kill the process with a stack trace on
      // stdout. Stopping is still the only safe answer, but a clean stop answers the requests under
      // way and closes LevelDB, and the log says what happened in one line (the stack is a field).
      let internal = false;
      const internalError = (e: unknown) => {
        // Once: the log line itself may fail the same way (stdout gone), and must not loop.
        if (internal) return;
        internal = true;
        const message = e instanceof Error ? e.message : String(e);
        logger.error('internal error', { error: message, stack: e instanceof Error ? e.stack : undefined });
        const failure = (fatal ??= new RingkvError(
          'SERVER_ERROR',
          `internal error: ${message}: the node stopped; start it again, and report this log`,
        ));
        // The state that threw may also keep the stop from finishing: it gets a deadline.
        setTimeout(() => {
          process.stderr.write(`${errorLine(failure)}\n`);
          process.exit(exitCodeFor(failure.code));
        }, INTERNAL_ERROR_STOP_MS).unref();
        stop('internal error');
      };
      this.stopOnBug = internalError;
    });
    // Printed as the last line of the log, where a detaching start and the operator look. With
    // --json the document is out already: the line and the exit code say it, as after a bug.
    if (fatal && json) reportFailure(fatal, false);
    else if (fatal) throw fatal;
    return undefined;
  }

  /** While the node runs, a bug stops it cleanly: it answers what is under way and closes LevelDB. */
  private stopOnBug: ((e: Error) => void) | undefined;

  protected override onBug(e: Error): void {
    if (this.stopOnBug) this.stopOnBug(e);
    else super.onBug(e);
  }

  /** Re-runs this command without --detach in a new session; returns once the cluster takes it for a member. */
  private async detach(
    dataDir: string,
    logFile: string | undefined,
    join: boolean,
    auth: ClusterAuth,
  ): Promise<Started> {
    const argv = process.argv
      .slice(2)
      .filter((a) => a !== '--detach' && !a.startsWith('--log-file') && a !== '--json');
    const logIndex = process.argv.indexOf('--log-file');
    if (logIndex >= 0) argv.splice(argv.indexOf(process.argv[logIndex + 1] ?? ''), 1);
    const logPath = resolve(logFile ?? `${dataDir}/node.log`);
    await makeDataFolder(dataDir);
    const fd = openLog(logPath, logFile === undefined ? dataDir : undefined);
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? '', ...argv], {
      detached: true,
      stdio: ['ignore', fd, fd, 'ipc'],
    });
    closeSync(fd);
    const exited = new Promise<never>((_, reject) => {
      child.on('exit', (code) => {
        // The node's own one-line reason is the last error line of its log.
        const reason = lastErrorLine(logPath);
        reject(
          reason
            ? RingkvError.fromWire(reason)
            : new RingkvError(
                'REFUSED',
                `the node exited with code ${code} before it was ready; see ${logPath}`,
              ),
        );
      });
    });
    const ready = new Promise<Started>((resolveStarted) => {
      child.on('message', (m: { ready?: Started }) => {
        if (m.ready) resolveStarted(m.ready);
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const tooSlow = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGTERM');
        reject(
          new RingkvError(
            'REFUSED',
            `the node did not start within ${DETACH_READY_TIMEOUT_MS / 1000} s; see ${logPath}`,
          ),
        );
      }, DETACH_READY_TIMEOUT_MS);
    });
    try {
      const started = await Promise.race([ready, exited, tooSlow]);
      clearTimeout(timer);
      // A script's next command may go to any node: return once they all take this one for a full
      // member, not when only the node itself does (a peer that still sees it JOINING would count it
      // as a pending replica, and a write at ALL would fail).
      if (join) {
        const member = awaitMember(
          started.address,
          started.hostId,
          auth,
          (why) => `the node is running (pid ${started.pid}) but ${why}; see "ringkv status" and ${logPath}`,
        );
        await Promise.race([member, exited]);
      }
      this.say(
        `node ${started.hostId} accepting requests at ${started.address} (pid ${started.pid}, log ${logPath})`,
      );
      return started;
    } finally {
      clearTimeout(timer);
      child.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
    }
  }
}

const LOG_OPEN_REASONS: Record<string, string> = {
  ...WRITE_FAILURE_REASONS,
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a file is in the way of its folder',
  EISDIR: 'it is a folder',
};

/**
 * The detached node's log, opened for appending; otherwise one line saying why not and what to do.
 * A data folder that cannot be written was refused before, as the node itself refuses it.
 */
function openLog(logPath: string, inDataFolder: string | undefined): number {
  try {
    return openSync(logPath, 'a');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const denied = code === 'EACCES' || code === 'EPERM';
    const why = LOG_OPEN_REASONS[code] ?? (e instanceof Error ? e.message : String(e));
    const remedy =
      inDataFolder !== undefined
        ? 'pick another --data, or a --log-file elsewhere'
        : code === 'ENOENT'
          ? 'make its folder, or pick another --log-file'
          : denied
            ? 'fix the permissions there, or pick another --log-file'
            : 'pick another --log-file';
    throw new RingkvError('REFUSED', `cannot write the node's log ${logPath}: ${why}: ${remedy}`);
  }
}

function lastErrorLine(logPath: string): { code: ErrorCode; message: string } | undefined {
  try {
    const lines = readFileSync(logPath, 'utf8').trimEnd().split('\n');
    for (let i = lines.length - 1; i >= 0 && i >= lines.length - 20; i--) {
      const m = /^error ([A-Z_]+): (.*)$/.exec(lines[i] ?? '');
      if (m && (ERROR_CODES as readonly string[]).includes(m[1] ?? ''))
        return { code: m[1] as ErrorCode, message: m[2] ?? '' };
    }
  } catch {
    // no log: the caller says where to look
  }
  return undefined;
}

/** Test clusters and the demo set RINGKV_EXIT_WITH_PID: a node must not outlive its owner. */
function watchOwner(pid: string | undefined, onGone: () => void): void {
  const owner = Number(pid);
  if (!Number.isInteger(owner) || owner <= 0) return;
  const timer = setInterval(() => {
    try {
      process.kill(owner, 0);
    } catch {
      clearInterval(timer);
      onGone();
    }
  }, 1000);
  timer.unref();
}
