import { Box, Static, useApp, useInput, useStdout } from 'ink';
import { useEffect, useReducer, useRef } from 'react';
import type { ClusterApi, StatusResult } from '../client/api.js';
import { runCommand, type Session } from './commands.js';
import type { HistoryStore } from './history-file.js';
import { actionsForKey } from './keys.js';
import { charsFor, promptRows, promptView } from './long-line.js';
import { EntryView, RunningView } from './render/output.js';
import { Prompt } from './render/prompt.js';
import { StatusLine } from './render/status-line.js';
import { initialState, reduce, type Topology } from './session.js';

export interface AppProps {
  api: ClusterApi;
  session: Session;
  /** Where entered lines are appended. */
  history: HistoryStore;
  /** Lines from earlier sessions, oldest first, for up/down from the first key press. */
  initialHistory: readonly string[];
  /** Wall clock in ms, for ages shown in results. */
  nowMs: () => number;
}

function topologyOf(status: StatusResult): Topology {
  const up = status.nodes.filter((n) => n.state === 'UP').length;
  return { up, down: status.nodes.length - up };
}

/** Erase the screen and the scrollback, cursor to the top left (as clear(1) does). */
const CLEAR_SCREEN = '\x1b[2J\x1b[3J\x1b[H';

/** Below this the ring band and tables stop making sense; narrower terminals wrap. */
const minWidth = 40;

/**
 * The interactive REPL: key presses become reducer actions, and effects do the I/O the state
 * asks for (run the command that was submitted, abort it on Ctrl-C, keep the status line live).
 */
export function App({ api, session, history, initialHistory, nowMs }: AppProps) {
  const [state, dispatch] = useReducer(reduce, undefined, () =>
    initialState(api.contactAddress(), session, [...initialHistory]),
  );
  const { exit } = useApp();
  const { stdout, write } = useStdout();
  const width = Math.max(minWidth, stdout.columns || 80);
  const controller = useRef<AbortController | undefined>(undefined);
  const keyspace = useRef(state.session.keyspace);
  keyspace.current = state.session.keyspace;

  // The status line follows the cluster: refresh on every topology notice, one refresh at a time.
  // A notice that arrives while a refresh is in flight is dropped, not queued: the refresh itself
  // fetches the topology (and so causes a notice), and what it reads is at least that new.
  useEffect(() => {
    let live = true;
    let inFlight = false;
    const refresh = async (): Promise<void> => {
      if (inFlight) return;
      inFlight = true;
      try {
        const [status, keyspaces] = await Promise.all([api.status(keyspace.current), api.keyspaces()]);
        if (!live) return;
        dispatch({ type: 'topology', topology: topologyOf(status), contact: api.contactAddress() });
        dispatch({ type: 'keyspaces', names: keyspaces.map((k) => k.name) });
      } catch {
        // The next notice retries; the status line keeps the last counts meanwhile.
      } finally {
        inFlight = false;
      }
    };
    void refresh();
    const unsubscribe = api.onTopologyChange(() => void refresh());
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api]);

  // Save each line once, in order, as the reducer adds it to the history.
  const saved = useRef(0);
  useEffect(() => {
    const fresh = state.historyAdded - saved.current;
    if (fresh <= 0) return;
    saved.current = state.historyAdded;
    const lines = state.history.slice(-fresh);
    // A history file that cannot be written costs the user their history, not the session.
    void lines
      .reduce((done, line) => done.then(() => history.append(line)), Promise.resolve())
      .catch(() => undefined);
  }, [state.historyAdded, state.history, history]);

  const runningId = state.running?.id;
  useEffect(() => {
    const running = state.running;
    if (!running) return;
    const ac = new AbortController();
    controller.current = ac;
    void runCommand(running.command, {
      api,
      session: state.session,
      signal: ac.signal,
      onProgress: (progress) => dispatch({ type: 'progress', id: running.id, progress }),
      nowMs,
    }).then((outcome) => {
      dispatch({ type: 'finished', id: running.id, outcome });
      if (outcome.kind === 'ok' && outcome.result.kind === 'status') {
        dispatch({
          type: 'topology',
          topology: topologyOf(outcome.result.status),
          contact: api.contactAddress(),
        });
      }
    });
    return () => ac.abort();
    // Only a new command starts a run; the state it reads is the one it was submitted with.
  }, [runningId]);

  useEffect(() => {
    if (state.running?.cancelling) controller.current?.abort();
  }, [state.running?.cancelling]);

  useEffect(() => {
    if (!state.exiting) return;
    controller.current?.abort();
    exit();
  }, [state.exiting, exit]);

  // Through Ink's write, which redraws the prompt and status line after what it writes.
  useEffect(() => {
    if (state.clears > 0) write(CLEAR_SCREEN);
  }, [state.clears, write]);

  const prompt = `ringkv:${state.session.keyspace}> `;

  useInput((input, key) => {
    for (const action of actionsForKey(input, key)) dispatch(action);
  });

  return (
    <>
      <Static items={state.entries}>
        {(entry) => <EntryView key={entry.id} entry={entry} width={width} />}
      </Static>
      <Box flexDirection="column">
        {state.running && <RunningView running={state.running} width={width} />}
        {!state.exiting && (
          <Prompt
            prompt={prompt}
            view={promptView(state.line, state.cursor, charsFor(promptRows, width, prompt.length))}
            candidates={state.candidates}
            exitArmed={state.exitArmed}
            busy={state.running !== undefined}
          />
        )}
        <StatusLine contact={state.contact} session={state.session} topology={state.topology} width={width} />
      </Box>
    </>
  );
}
