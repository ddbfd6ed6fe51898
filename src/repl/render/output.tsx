import { Box, Text } from 'ink';
import type { EndpointsResult, GetResult, PutResult } from '../../client/api.js';
import type { Outcome, ReplResult } from '../commands.js';
import {
  formatReplication,
  formatTimestamp,
  formatValue,
  replicaList,
  helpLines,
  hostPort,
  padColumns,
  resultFailure,
  resultLines,
  shortId,
  statusHeader,
  statsTable,
  statusRow,
  table,
} from '../format.js';
import { charsFor, echoRows, maxShownChars } from '../long-line.js';
import type { Entry, Running } from '../session.js';
import { CutText } from './cut-text.js';
import { ErrorView } from './error-view.js';
import { HintsTable } from './hints-table.js';
import { ProgressBar } from './progress-bar.js';
import { RingView } from './ring-view.js';
import { TraceWaterfall } from './trace-waterfall.js';

function WriteView({ op, result, width }: { op: 'put' | 'del'; result: PutResult; width: number }) {
  return (
    <Box flexDirection="column">
      <Text>
        <Text color="green">✓</Text> <CutText text={result.key} maxChars={maxShownChars} />{' '}
        {op === 'put' ? 'written' : 'deleted'} at <Text bold>{result.cl}</Text>
        <Text dimColor> · timestamp {formatTimestamp(result.timestamp)}</Text>
      </Text>
      <Text>
        {'  '}acked by <Text color="green">{replicaList(result.acks)}</Text>
        {result.hinted.length > 0 && <Text color="yellow"> · hinted for {replicaList(result.hinted)}</Text>}
      </Text>
      {result.trace && <TraceWaterfall trace={result.trace} width={width} />}
    </Box>
  );
}

function GetView({ result, width }: { result: GetResult; width: number }) {
  return (
    <Box flexDirection="column">
      {result.found ? (
        <Text>
          <CutText text={result.key} maxChars={maxShownChars} /> ={' '}
          <Text bold>
            <CutText text={formatValue(result)} maxChars={maxShownChars} note="ringkv get prints it whole" />
          </Text>
          {result.timestamp !== undefined && (
            <Text dimColor> · timestamp {formatTimestamp(result.timestamp)}</Text>
          )}
        </Text>
      ) : (
        <Text color="yellow">
          <CutText text={result.key} maxChars={maxShownChars} />: not found
        </Text>
      )}
      <Text>
        {'  '}
        {result.cl} from <Text color="green">{replicaList(result.replicas)}</Text>
        {result.repaired.length > 0 && (
          <Text color="yellow"> · read repair wrote to {replicaList(result.repaired)}</Text>
        )}
      </Text>
      {result.trace && <TraceWaterfall trace={result.trace} width={width} />}
    </Box>
  );
}

/** The key's token, then its replicas in ring order, one per line so that DOWN ones stand out. */
function EndpointsView({ endpoints }: { endpoints: EndpointsResult }) {
  const rows = padColumns(
    endpoints.replicas.map((r, i) => [
      `${i + 1}.`,
      hostPort(r.address),
      shortId(r.hostId),
      `${r.dc}/${r.rack}`,
    ]),
  );
  return (
    <Box flexDirection="column">
      <Text>
        {endpoints.key} <Text dimColor>token {endpoints.token}</Text>
      </Text>
      {endpoints.replicas.length === 0 && <Text color="red">no replicas</Text>}
      {rows.map((cells, i) => {
        const state = endpoints.replicas[i]?.state;
        return (
          <Text key={i}>
            {'  '}
            {cells.join('  ')}
            {'  '}
            <Text color={state === 'DOWN' ? 'red' : 'green'}>{state}</Text>
          </Text>
        );
      })}
    </Box>
  );
}

function Lines({ lines }: { lines: readonly string[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <Text key={i}>{l}</Text>
      ))}
    </Box>
  );
}

export function ResultView({ result, width }: { result: ReplResult; width: number }) {
  switch (result.kind) {
    case 'write':
      return <WriteView op={result.op} result={result.result} width={width} />;
    case 'get':
      return <GetView result={result.result} width={width} />;
    case 'status': {
      const [header, ...rows] = table([statusHeader, ...result.status.nodes.map(statusRow)]);
      return (
        <Box flexDirection="column">
          <Text bold>{header}</Text>
          {rows.map((row, i) => (
            <Text key={i} {...(result.status.nodes[i]?.state === 'DOWN' ? { color: 'red' } : {})}>
              {row}
            </Text>
          ))}
          {result.status.warnings.map((w, i) => (
            <Text key={`w${i}`} color="yellow">
              warning: {w}
            </Text>
          ))}
        </Box>
      );
    }
    case 'stats':
      return <Lines lines={statsTable(result.nodes, width)} />;
    case 'help':
      return <Lines lines={helpLines(result, width)} />;
    case 'ring':
      return (
        <RingView ring={result.ring} status={result.status} endpoints={result.endpoints} width={width} />
      );
    case 'endpoints':
      return <EndpointsView endpoints={result.endpoints} />;
    case 'hints':
      return <HintsTable hints={result.hints} unanswered={result.unanswered} asOfMs={result.asOfMs} />;
    case 'use':
      return (
        <Text>
          using keyspace <Text bold>{result.keyspace.name}</Text>{' '}
          <Text dimColor>({formatReplication(result.keyspace.replication)})</Text>
        </Text>
      );
    case 'repair': {
      const [summary, ...failed] = resultLines(result);
      return (
        <Box flexDirection="column">
          <ProgressBar
            progress={{
              rangesDone: result.summary.ranges,
              ranges: result.summary.ranges,
              keysStreamed: result.summary.keysStreamed,
              rangesFailed: result.summary.failedRanges.length,
            }}
            width={width}
          />
          <Text>{summary}</Text>
          {failed.map((line, i) => (
            <Text key={i} color="yellow">
              {line}
            </Text>
          ))}
        </Box>
      );
    }
    default:
      return <Lines lines={resultLines(result)} />;
  }
}

export function OutcomeView({ outcome, width }: { outcome: Outcome; width: number }) {
  switch (outcome.kind) {
    case 'ok': {
      // What a repair with failed ranges, or a cleanup some node did not run, did is shown, then
      // the error it is: the one a script stops and exits with.
      const failure = resultFailure(outcome.result);
      return (
        <Box flexDirection="column">
          <ResultView result={outcome.result} width={width} />
          {failure && <ErrorView error={failure} />}
        </Box>
      );
    }
    case 'error':
      return <ErrorView error={outcome.error} />;
    case 'cancelled':
      return <Text color="yellow">cancelled: a request already sent may still complete on the cluster</Text>;
  }
}

/** One finished command: what was typed (its start, when long), then what came of it. */
export function EntryView({ entry, width }: { entry: Entry; width: number }) {
  const prompt = `ringkv:${entry.keyspace}> `;
  const notRun = `not run after the ${entry.outcome.kind === 'cancelled' ? 'cancel' : 'failure'}: `;
  return (
    <Box flexDirection="column">
      <Text dimColor>
        {prompt}
        <CutText text={entry.input} maxChars={charsFor(echoRows, width, prompt.length)} />
      </Text>
      <OutcomeView outcome={entry.outcome} width={width} />
      {entry.skipped.length > 0 && (
        <Text dimColor>
          {notRun}
          <CutText text={entry.skipped.join('; ')} maxChars={charsFor(echoRows, width, notRun.length)} />
        </Text>
      )}
    </Box>
  );
}

/** The command under way (its start, when long): a progress bar for repair, and how to cancel. */
export function RunningView({ running, width }: { running: Running; width: number }) {
  const verb = running.cancelling ? 'cancelling ' : 'running ';
  return (
    <Box flexDirection="column">
      <Text color="yellow">
        {verb}
        <CutText text={running.input} maxChars={charsFor(echoRows, width, verb.length)} />{' '}
        <Text dimColor>{running.cancelling ? '' : '(Ctrl-C cancels)'}</Text>
      </Text>
      {running.command.name === 'repair' && <ProgressBar progress={running.progress} width={width} />}
    </Box>
  );
}
