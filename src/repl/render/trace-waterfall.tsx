import { Box, Text } from 'ink';
import type { TraceEvent } from '../../client/api.js';
import { barText, formatMicros, shortId, waterfall } from '../format.js';

/**
 * What the coordinator did, one row per trace event on a shared time axis: a reply's bar runs
 * from when its replica was asked to when it answered, so slow replicas stand out. Long event
 * texts wrap under themselves, leaving the time and bar columns clear.
 */
export function TraceWaterfall({ trace, width }: { trace: readonly TraceEvent[]; width: number }) {
  const barWidth = Math.max(10, Math.min(30, Math.floor(width / 4)));
  const nodeWidth = Math.max(4, ...trace.map((e) => shortId(e.node).length));
  // time (10) + space + node + space + bars + space
  const left = 10 + 1 + nodeWidth + 1 + barWidth + 1;
  return (
    <Box flexDirection="column">
      <Text dimColor>trace</Text>
      {waterfall(trace, barWidth).map((row, i) => (
        <Box key={i} flexDirection="row" width={width}>
          <Box width={left} flexShrink={0}>
            <Text>
              <Text dimColor>{formatMicros(row.event.at).padStart(10)} </Text>
              {shortId(row.event.node).padEnd(nodeWidth)}{' '}
              <Text color="cyan">{barText(row, barWidth, '█')}</Text>
            </Text>
          </Box>
          <Box flexGrow={1} flexShrink={1}>
            <Text wrap="wrap">{row.text}</Text>
          </Box>
        </Box>
      ))}
    </Box>
  );
}
