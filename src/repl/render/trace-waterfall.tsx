import { Box, Text } from 'ink';
import type { TraceEvent } from '../../client/api.js';
import { formatMicros, shortId, waterfall } from '../format.js';

/** What the coordinator did, one row per trace event, with a bar offset by its time since the start. */
export function TraceWaterfall({ trace, width }: { trace: readonly TraceEvent[]; width: number }) {
  const barWidth = Math.max(10, Math.min(30, Math.floor(width / 4)));
  const nodeWidth = Math.max(4, ...trace.map((e) => shortId(e.node).length));
  return (
    <Box flexDirection="column">
      <Text dimColor>trace</Text>
      {waterfall(trace, barWidth).map((row, i) => (
        <Text key={i}>
          <Text dimColor>{formatMicros(row.event.at).padStart(10)} </Text>
          {shortId(row.event.node).padEnd(nodeWidth)} {' '.repeat(row.offset)}
          <Text color="cyan">{'█'.repeat(row.length)}</Text>
          {' '.repeat(Math.max(0, barWidth - row.offset - row.length))} {row.event.event}
        </Text>
      ))}
    </Box>
  );
}
