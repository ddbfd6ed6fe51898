import type { ClusterApi } from '../client/api.js';
import { exitCodeFor } from '../protocol/errors.js';
import type { RingkvError } from '../protocol/errors.js';
import { runCommand, type Session } from './commands.js';
import { errorJson, errorLine, resultFailure, resultJson, resultLines } from './format.js';
import { parseCommand } from './parser.js';
import { applyOutcome } from './session.js';

/**
 * Scripted mode: the REPL's commands from -e, a file or a pipe, without a terminal UI. Each
 * command prints its result (one JSON document per line with --json, the same document the
 * matching oclif command prints); the first failure stops the script and sets the exit code.
 */

export interface LineSink {
  write(chunk: string): unknown;
}

export interface ScriptOptions {
  session: Session;
  json: boolean;
  /** Run every command even after a failure; the exit code still reports the first failure. */
  continueOnError: boolean;
  out: LineSink;
  err: LineSink;
  nowMs: () => number;
  /** Aborting cancels the running command and stops the script (SIGINT). */
  signal?: AbortSignal;
}

/** Exit status of a script stopped by an interrupt, as shells report SIGINT. */
export const interruptedExitCode = 130;

export async function runScript(
  api: ClusterApi,
  statements: readonly string[],
  opts: ScriptOptions,
): Promise<number> {
  let session = opts.session;
  let exitCode = 0;
  const signal = opts.signal ?? new AbortController().signal;

  const report = (error: RingkvError): boolean => {
    if (opts.json) opts.out.write(`${JSON.stringify(errorJson(error))}\n`);
    opts.err.write(`${errorLine(error)}\n`);
    if (exitCode === 0) exitCode = exitCodeFor(error.code);
    return opts.continueOnError;
  };

  for (const statement of statements) {
    if (signal.aborted) return interruptedExitCode;
    const parsed = parseCommand(statement);
    if (parsed.kind === 'empty') continue;
    if (parsed.kind === 'error') {
      if (!report(parsed.error)) return exitCode;
      continue;
    }
    if (parsed.command.name === 'exit') break;
    if (parsed.command.name === 'clear') continue;
    const outcome = await runCommand(parsed.command, { api, session, signal, nowMs: opts.nowMs });
    if (outcome.kind === 'cancelled') return interruptedExitCode;
    if (outcome.kind === 'error') {
      if (!report(outcome.error)) return exitCode;
      continue;
    }
    session = applyOutcome(session, outcome);
    if (opts.json) {
      const doc = resultJson(outcome.result);
      if (doc !== undefined) opts.out.write(`${JSON.stringify(doc)}\n`);
    } else {
      for (const line of resultLines(outcome.result)) opts.out.write(`${line}\n`);
    }
    // A repair that failed some ranges printed what it did, and fails the script as the CLI's would.
    const failure = resultFailure(outcome.result);
    if (failure && !report(failure)) return exitCode;
  }
  return exitCode;
}
