import { Box, Text } from 'ink';
import type { HintSummary } from '../../client/api.js';
import { hintHeader, hintRow, table } from '../format.js';

/** Hints per holder and target; a target down past the hint window is flagged, since only repair heals it. */
export function HintsTable({ hints, asOfMs }: { hints: readonly HintSummary[]; asOfMs: number }) {
  if (hints.length === 0) return <Text dimColor>no hints</Text>;
  const [header, ...rows] = table([hintHeader, ...hints.map((h) => hintRow(h, asOfMs))]);
  return (
    <Box flexDirection="column">
      <Text bold>{header}</Text>
      {rows.map((row, i) => (
        <Text key={i} {...(hints[i]?.pastWindow ? { color: 'red' } : {})}>
          {row}
        </Text>
      ))}
    </Box>
  );
}
